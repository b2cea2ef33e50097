"""Demo regions, units, people and systems (龙岩市). Idempotent: existing rows are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from govdata import clock
from govdata.actor import Role
from govdata.auth.models import User, UserRole
from govdata.auth.passwords import hash_password
from govdata.orgs.models import Region, System, Unit

CITY = ("350800", "龙岩市", "city")
COUNTIES = [
    ("350802", "新罗区", "xinluo"), ("350803", "永定区", "yongding"), ("350821", "长汀县", "changting"),
    ("350823", "上杭县", "shanghang"), ("350824", "武平县", "wuping"), ("350825", "连城县", "liancheng"),
    ("350881", "漳平市", "zhangping"),
]
AREAS = [("350899A1", "龙岩经开区（高新区）", "jkq"), ("350899A2", "厦龙合作区", "xlhzq")]

CITY_UNITS = [
    ("gaj", "龙岩市公安局", "政务数据管理科"), ("scjg", "龙岩市市场监督管理局", "信息科"),
    ("rsj", "龙岩市人力资源和社会保障局", "信息中心"), ("mz", "龙岩市民政局", "办公室"),
    ("wjw", "龙岩市卫生健康委员会", "规划信息科"), ("zrzy", "龙岩市自然资源局", "信息中心"),
    ("zjj", "龙岩市住房和城乡建设局", "办公室"), ("cz", "龙岩市财政局", "信息科"),
    ("dsj", "龙岩市大数据和政务服务管理局", "数据资源科"), ("dsjzx", "龙岩市大数据中心", "平台运维部"),
    ("jyj", "龙岩市教育局", "信息中心"), ("jtj", "龙岩市交通运输局", "科技信息科"),
    ("ybj", "龙岩市医疗保障局", "信息科"), ("sthj", "龙岩市生态环境局", "监测信息科"),
    ("wxb", "中共龙岩市委网络安全和信息化委员会办公室", "网络安全科"),
]
COUNTY_UNITS = [("xl_scjg", "新罗区市场监督管理局", "xinluo"), ("xl_mz", "新罗区民政局", "xinluo")]

# username, display name, unit code, roles
PEOPLE = [
    ("admin", "平台管理员", "dsjzx", [Role.CENTER]),
    ("bureau", "大数据局审核员", "dsj", [Role.BUREAU]),
    ("security", "网络安全监管员", "wxb", [Role.SECURITY]),
    ("county_xinluo", "新罗区电子政务办", "eg_xinluo", [Role.COUNTY_OFFICE]),
    ("steward_gaj", "公安局专管员", "gaj", [Role.STEWARD]),
    ("head_gaj", "公安局数据科科长", "gaj", [Role.UNIT_HEAD]),
    ("steward_scjg", "市场监管局专管员", "scjg", [Role.STEWARD]),
    ("head_scjg", "市场监管局信息科科长", "scjg", [Role.UNIT_HEAD]),
    ("steward_mz", "民政局专管员", "mz", [Role.STEWARD]),
    ("head_mz", "民政局办公室主任", "mz", [Role.UNIT_HEAD]),
    ("steward_rsj", "人社局专管员", "rsj", [Role.STEWARD]),
    ("head_rsj", "人社局信息中心主任", "rsj", [Role.UNIT_HEAD]),
    ("steward_wjw", "卫健委专管员", "wjw", [Role.STEWARD]),
    ("head_wjw", "卫健委规划信息科科长", "wjw", [Role.UNIT_HEAD]),
    ("steward_center", "大数据中心专管员", "dsjzx", [Role.STEWARD]),
    ("head_center", "大数据中心数据部主任", "dsjzx", [Role.UNIT_HEAD]),
    ("steward_xl_scjg", "新罗区市场监管局专管员", "xl_scjg", [Role.STEWARD]),
    ("head_xl_scjg", "新罗区市场监管局负责人", "xl_scjg", [Role.UNIT_HEAD]),
    ("steward_xl_mz", "新罗区民政局专管员", "xl_mz", [Role.STEWARD]),
    ("head_xl_mz", "新罗区民政局负责人", "xl_mz", [Role.UNIT_HEAD]),
    ("vendor", "数据治理服务商", "dsjzx", [Role.VENDOR]),
    ("finance", "财政局经费审核员", "cz", [Role.FINANCE]),
]


def make_uscc(region_code: str, serial: int) -> str:
    """A 统一社会信用代码 with valid check digits: 11 (机关) + region + 9-char org code + check."""
    org = f"MB{serial:06d}"
    org += _org_check(org)
    base = "11" + region_code[:6] + org
    return base + uscc.calc_check_digit(base)


def _org_check(org8: str) -> str:
    """GB 11714 check character of an 8-char 组织机构代码 body."""
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = sum(alphabet.index(c) * w for c, w in zip(org8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _region(db: Session, code: str, name: str, level: str, parent: Region | None) -> Region:
    region = db.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if region is None:
        region = Region(code=code, name=name, level=level, parent_id=parent.id if parent else None)
        db.add(region)
        db.flush()
    return region


def _unit(db: Session, code: str, name: str, region: Region, office: str, serial: int) -> Unit:
    unit = db.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        unit = Unit(code=code, name=name, uscc=make_uscc(region.code, serial), region_id=region.id,
                    data_office=office, office_phone=f"0597-{2300000 + serial}")
        db.add(unit)
        db.flush()
    return unit


def seed(db: Session, password: str) -> dict[str, Unit]:
    city = _region(db, *CITY, parent=None)
    regions = {"city": city}
    for code, name, key in COUNTIES:
        regions[key] = _region(db, code, name, "county", city)
    for code, name, key in AREAS:
        regions[key] = _region(db, code, name, "area", city)
    units: dict[str, Unit] = {}
    serial = 1
    for code, name, office in CITY_UNITS:
        units[code] = _unit(db, code, name, city, office, serial)
        serial += 1
    for _code, name, key in COUNTIES + AREAS:
        units[f"eg_{key}"] = _unit(db, f"eg_{key}", f"{name}电子政务管理办公室", regions[key], "电子政务科", serial)
        serial += 1
    for code, name, key in COUNTY_UNITS:
        units[code] = _unit(db, code, name, regions[key], "办公室", serial)
        serial += 1
    _people(db, units, password)
    _systems(db, units)
    return units


def _people(db: Session, units: dict[str, Unit], password: str) -> None:
    existing = set(db.execute(select(User.username)).scalars())
    password_hash = None
    for index, (username, display, unit_code, roles) in enumerate(PEOPLE):
        if username in existing:
            continue
        password_hash = password_hash or hash_password(password)
        user = User(username=username, display_name=display, unit_id=units[unit_code].id,
                    password_hash=password_hash, phone=f"1380597{index:04d}",
                    email=f"{username}@longyan.gov.example", password_changed_at=clock.now())
        user.role_rows = [UserRole(role=r.value) for r in roles]
        db.add(user)
    db.flush()


def _systems(db: Session, units: dict[str, Unit]) -> None:
    have = set(db.execute(select(System.unit_id)).scalars())
    today = clock.today()
    for index, unit in enumerate(units.values()):
        if unit.id in have:
            continue
        short = unit.name.removeprefix("龙岩市")
        db.add(System(unit_id=unit.id, name=f"{short}业务系统", assessment_level=3,
                      assessment_report_no=f"35080099-{today.year}-{index + 1:04d}",
                      assessment_date=today - timedelta(days=90),
                      assessment_valid_until=today + timedelta(days=365)))
    db.flush()
