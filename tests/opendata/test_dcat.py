"""The DCAT feeds, parsed back with rdflib: one dcat:Catalog, a dcat:Dataset per published dataset with its
title, description, publisher, keywords and licence, downloads as distributions with dcat:downloadURL and
dct:format; 授权开放 datasets without downloads; withdrawn datasets absent."""

from __future__ import annotations

from typing import Any

from rdflib import Graph, URIRef
from rdflib import namespace as ns

from tests.opendata.helpers import companies, openable, publish


def _graph(client: Any, path: str, fmt: str) -> Graph:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return Graph().parse(data=answer.text, format=fmt)


def test_both_feeds_describe_the_published_catalog(client: Any, token: Any, database: Any) -> None:
    bureau = token("bureau")
    gone = publish(client, bureau, openable(database, rows=companies(1))).json()
    client.post(f"/api/v1/open/datasets/{gone['id']}/withdraw", headers=bureau, json={"note": "撤回测试"})
    published = client.get("/api/v1/open/datasets", params={"per_page": 50}).json()
    for path, fmt in (("/catalog.ttl", "turtle"), ("/catalog.jsonld", "json-ld")):
        graph = _graph(client, path, fmt)
        catalogs = list(graph.subjects(ns.RDF.type, ns.DCAT.Catalog))
        assert len(catalogs) == 1
        datasets = set(graph.objects(catalogs[0], ns.DCAT.dataset))
        assert datasets == set(graph.subjects(ns.RDF.type, ns.DCAT.Dataset))
        assert {str(d).rsplit("/", 1)[1] for d in datasets} == {str(d["id"]) for d in published["items"]}
        assert URIRef(f"http://testserver/open/datasets/{gone['id']}") not in datasets
        for item in published["items"]:
            uri = URIRef(f"http://testserver/open/datasets/{item['id']}")
            assert str(graph.value(uri, ns.DCTERMS.title)) == item["title"]
            assert graph.value(uri, ns.DCTERMS.description) is not None
            publisher = graph.value(uri, ns.DCTERMS.publisher)
            assert str(graph.value(publisher, ns.FOAF.name)) == item["unit_name"]
            assert item["topic_label"] in {str(k) for k in graph.objects(uri, ns.DCAT.keyword)}
            assert graph.value(uri, ns.DCTERMS.license) is not None
            distributions = list(graph.objects(uri, ns.DCAT.distribution))
            downloads = {str(graph.value(d, ns.DCTERMS.format)): str(graph.value(d, ns.DCAT.downloadURL))
                         for d in distributions if graph.value(d, ns.DCAT.downloadURL) is not None}
            if item["open_type"] == "public":
                assert downloads == {m.upper(): f"http://testserver/api/v1/open/datasets/{item['id']}/data.{m}"
                                     for m in ("csv", "json", "xlsx")}
            else:
                assert downloads == {} and len(distributions) == 1
    assert client.get("/catalog.ttl").headers["content-type"].startswith("text/turtle")
    assert client.get("/catalog.jsonld").headers["content-type"] == "application/ld+json"
