"""The open catalog as DCAT (DCAT-AP style) for harvesters: `/catalog.jsonld` and `/catalog.ttl`, made with
rdflib. A dcat:Catalog lists each published dataset (dct:title, dct:description, dct:publisher, dcat:keyword,
dct:license, dct:issued, dct:modified, dcat:landingPage) with a dcat:Distribution per download (dcat:downloadURL,
dct:format, dcat:mediaType); a 授权开放 dataset gets one distribution with an access URL and no download.
Only what `open.view` shows anyone: published datasets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.catalog.labels import label_of
from govdata.opendata import data, service
from govdata.opendata.models import LICENCE_LABELS, TOPIC_LABELS, Licence, OpenDataset
from govdata.opendata.schemas import OpenSearchQuery
from govdata.policy import Action
from govdata.web.deps import Db, open_to

router = APIRouter(tags=["opendata"])
MAX_DATASETS = 10_000
LICENCE_URIS = {Licence.CC_BY_4.value: "https://creativecommons.org/licenses/by/4.0/",
                Licence.CC0.value: "https://creativecommons.org/publicdomain/zero/1.0/"}
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")


def _licence(graph: Graph, base: str, code: str) -> URIRef:
    uri = URIRef(LICENCE_URIS.get(code, f"{base}/open/api#licence-{code}"))
    graph.add((uri, RDF.type, DCTERMS.LicenseDocument))
    graph.add((uri, DCTERMS.title, Literal(LICENCE_LABELS.get(code, code), lang="zh")))
    return uri


def _dataset(graph: Graph, actor: Actor, base: str, dataset: OpenDataset) -> URIRef:
    uri = URIRef(f"{base}/open/datasets/{dataset.id}")
    entry = dataset.entry
    graph.add((uri, RDF.type, DCAT.Dataset))
    graph.add((uri, DCTERMS.title, Literal(dataset.title, lang="zh")))
    graph.add((uri, DCTERMS.description, Literal(dataset.summary or dataset.title, lang="zh")))
    graph.add((uri, DCTERMS.identifier, Literal(entry.code or str(dataset.id))))
    graph.add((uri, DCTERMS.issued, Literal(dataset.published_at.isoformat(), datatype=XSD.dateTime)))
    graph.add((uri, DCTERMS.modified, Literal(dataset.updated_at.isoformat(), datatype=XSD.dateTime)))
    graph.add((uri, DCAT.landingPage, uri))
    publisher = URIRef(f"{base}/open?unit={dataset.unit_id}")
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal(dataset.unit.name, lang="zh")))
    graph.add((uri, DCTERMS.publisher, publisher))
    for word in (TOPIC_LABELS.get(dataset.topic, dataset.topic), label_of("format", entry.format)):
        graph.add((uri, DCAT.keyword, Literal(word, lang="zh")))
    licence = _licence(graph, base, dataset.licence)
    graph.add((uri, DCTERMS.license, licence))
    if data.may_read_data(actor, dataset):
        for medium, media_type in MEDIA_TYPES.items():
            url = URIRef(f"{base}/api/v1/open/datasets/{dataset.id}/data.{medium}")
            dist = URIRef(f"{uri}#{medium}")
            graph.add((uri, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            graph.add((dist, DCTERMS.title, Literal(f"{dataset.title}（{medium.upper()}）", lang="zh")))
            graph.add((dist, DCAT.downloadURL, url))
            graph.add((dist, DCAT.accessURL, url))
            graph.add((dist, DCTERMS.format, Literal(medium.upper())))
            graph.add((dist, DCAT.mediaType, Literal(media_type)))
            graph.add((dist, DCTERMS.license, licence))
    else:
        dist = URIRef(f"{uri}#access")
        graph.add((uri, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCAT.accessURL, uri))
        graph.add((dist, DCTERMS.rights, Literal("授权开放：需申请授权后获取数据", lang="zh")))
        graph.add((dist, DCTERMS.license, licence))
    return uri


def catalog_graph(db: Session, actor: Actor, *, base: str) -> Graph:
    """The published datasets `actor` may see, as one DCAT catalog (newest first, at most MAX_DATASETS)."""
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD)):
        graph.bind(prefix, namespace)
    catalog = URIRef(f"{base}/catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("政务数据开放平台", lang="zh")))
    graph.add((catalog, DCTERMS.description, Literal("政务数据开放目录（普遍开放与授权开放数据集）", lang="zh")))
    graph.add((catalog, FOAF.homepage, URIRef(f"{base}/open")))
    _, datasets = service.find_datasets(db, actor, query=OpenSearchQuery(), offset=0, limit=MAX_DATASETS)
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, _dataset(graph, actor, base, dataset)))
    return graph


@router.get("/catalog.jsonld", response_class=Response,
            responses={200: {"content": {"application/ld+json": {}}, "description": "DCAT 目录（JSON-LD）"}})
def catalog_jsonld(request: Request, db: Db, actor: Actor = open_to(Action.OPEN_VIEW)) -> Response:
    graph = catalog_graph(db, actor, base=str(request.base_url).rstrip("/"))
    return Response(graph.serialize(format="json-ld"), media_type="application/ld+json")


@router.get("/catalog.ttl", response_class=Response,
            responses={200: {"content": {"text/turtle": {}}, "description": "DCAT 目录（Turtle）"}})
def catalog_turtle(request: Request, db: Db, actor: Actor = open_to(Action.OPEN_VIEW)) -> Response:
    graph = catalog_graph(db, actor, base=str(request.base_url).rstrip("/"))
    return Response(graph.serialize(format="turtle"), media_type="text/turtle; charset=utf-8")
