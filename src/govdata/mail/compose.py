"""The words of the e-mails: a person's to-do as plain text and as simple HTML, in Chinese, with working-day
deadlines as the to-do computed them (`govdata.todo`), links to each item, and how to turn the e-mails off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

from govdata import clock
from govdata.timeutil import fmt
from govdata.todo.service import TodoItem

PLATFORM = "政务数据共享平台"
SETTINGS_PATH = "/account/mail"


@dataclass(frozen=True)
class Composed:
    subject: str
    text_body: str
    html_body: str


def link(site_url: str, href: str) -> str:
    """An item's address as the person opens it: absolute when the platform's address is configured."""
    base = site_url.strip().rstrip("/")
    return f"{base}{href}" if base and href.startswith("/") else href


def state(item: TodoItem, today: date) -> str:
    """已逾期 3 天 / 今日到期 / 2026-12-09 到期 / 无期限."""
    if item.deadline is None:
        return "无期限"
    if item.deadline < today:
        return f"已逾期 {(today - item.deadline).days} 天（期限 {item.deadline.isoformat()}）"
    if item.deadline == today:
        return "今日到期"
    return f"{item.deadline.isoformat()} 到期"


def is_pressing(item: TodoItem, today: date) -> bool:
    """Due today or overdue: what the immediate message tells."""
    return item.deadline is not None and item.deadline <= today


def _groups(items: list[TodoItem], today: date) -> list[tuple[str, list[TodoItem]]]:
    overdue = [i for i in items if i.deadline is not None and i.deadline < today]
    due_today = [i for i in items if i.deadline == today]
    rest = [i for i in items if i not in overdue and i not in due_today]
    return [(name, group) for name, group in (("已逾期", overdue), ("今日到期", due_today), ("其他待办", rest))
            if group]


def _text(greeting: str, lead: str, items: list[TodoItem], today: date, site_url: str) -> str:
    lines = [greeting, "", lead, ""]
    number = 0
    for name, group in _groups(items, today):
        lines.append(f"【{name}】")
        for item in group:
            number += 1
            lines += [f"{number}. {item.title}", f"   类别：{item.label}；{state(item, today)}",
                      f"   {link(site_url, item.href)}"]
        lines.append("")
    lines += [f"查看全部待办：{link(site_url, '/')}",
              f"不想再收到提醒邮件，可在“邮件提醒设置”中关闭：{link(site_url, SETTINGS_PATH)}",
              f"本邮件由{PLATFORM}自动发送，请勿直接回复。"]
    return "\n".join(lines) + "\n"


def _html(greeting: str, lead: str, items: list[TodoItem], today: date, site_url: str) -> str:
    parts = [f"<p>{escape(greeting)}</p>", f"<p>{escape(lead)}</p>"]
    for name, group in _groups(items, today):
        parts.append(f"<h3 style=\"margin:16px 0 4px\">{escape(name)}（{len(group)} 项）</h3>")
        parts.append("<table cellpadding=\"6\" style=\"border-collapse:collapse;border:1px solid #ccd\">"
                     "<tr style=\"background:#eef2f7\"><th align=\"left\">事项</th><th align=\"left\">类别</th>"
                     "<th align=\"left\">期限</th></tr>")
        for item in group:
            parts.append(f"<tr><td><a href=\"{escape(link(site_url, item.href))}\">{escape(item.title)}</a></td>"
                         f"<td>{escape(item.label)}</td><td>{escape(state(item, today))}</td></tr>")
        parts.append("</table>")
    parts.append(f"<p><a href=\"{escape(link(site_url, '/'))}\">查看全部待办</a> · "
                 f"<a href=\"{escape(link(site_url, SETTINGS_PATH))}\">邮件提醒设置（可关闭）</a></p>")
    parts.append(f"<p style=\"color:#667\">本邮件由{PLATFORM}自动发送，请勿直接回复。</p>")
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"></head>"
            "<body style=\"font-family:sans-serif;font-size:14px\">" + "".join(parts) + "</body></html>")


def digest(name: str, items: list[TodoItem], *, today: date, site_url: str) -> Composed:
    """The day's digest: every item waiting for the person, overdue first."""
    overdue = sum(1 for i in items if i.deadline is not None and i.deadline < today)
    due_today = sum(1 for i in items if i.deadline == today)
    subject = f"【{PLATFORM}】{today.isoformat()} 待办摘要：共 {len(items)} 项"
    if overdue or due_today:
        subject += f"（已逾期 {overdue} 项，今日到期 {due_today} 项）"
    lead = f"截至 {fmt(clock.now())}（北京时间），您有 {len(items)} 项待办："
    greeting = f"{name}，您好："
    return Composed(subject, _text(greeting, lead, items, today, site_url),
                    _html(greeting, lead, items, today, site_url))


def due(name: str, items: list[TodoItem], *, today: date, site_url: str) -> Composed:
    """Items that have come due today or are overdue since the person was last told of them."""
    subject = f"【{PLATFORM}】{len(items)} 项待办今日到期或已逾期"
    lead = f"以下 {len(items)} 项待办今日到期或已逾期，请尽快处理（{fmt(clock.now())}，北京时间）："
    greeting = f"{name}，您好："
    return Composed(subject, _text(greeting, lead, items, today, site_url),
                    _html(greeting, lead, items, today, site_url))
