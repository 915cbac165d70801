"""Demo data: a small Thai knowledge base, saved answers and a few conversations."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from tocnet.accounts.models import Department, User
from tocnet.conversations import services
from tocnet.conversations.models import Article, Conversation, Message, SavedAnswer
from tocnet.members.models import Member

ARTICLES = [
    (
        "credit",
        "เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง",
        "กู้ฉุกเฉิน, เงินกู้ฉุกเฉิน, เอกสาร",
        "เงินกู้ฉุกเฉินกู้ได้ไม่เกิน 50,000 บาท ผ่อนไม่เกิน 12 งวด\nเอกสาร: คำขอกู้ สำเนาบัตรประชาชน และสลิปเงินเดือนเดือนล่าสุด\nยื่นผ่านผู้แทนสมาชิกหรือที่สำนักงานสหกรณ์",
    ),
    (
        "credit",
        "เงินกู้สามัญ ต้องมีผู้ค้ำกี่คน",
        "กู้สามัญ, เงินกู้สามัญ, ผู้ค้ำ, ค้ำประกัน",
        "เงินกู้สามัญใช้ผู้ค้ำประกันที่เป็นสมาชิก 1-3 คน ตามวงเงินกู้\nผู้ค้ำต้องเป็นสมาชิกไม่น้อยกว่า 6 เดือน",
    ),
    (
        "credit",
        "อัตราดอกเบี้ยเงินกู้",
        "ดอกเบี้ยเงินกู้, ดอกเบี้ย, อัตราดอกเบี้ย",
        "ดอกเบี้ยเงินกู้ฉุกเฉินร้อยละ 6.00 ต่อปี เงินกู้สามัญร้อยละ 6.25 ต่อปี (ตัวอย่างสำหรับการสาธิต)",
    ),
    (
        "deposits",
        "ดอกเบี้ยเงินฝากออมทรัพย์",
        "ดอกเบี้ยเงินฝาก, ออมทรัพย์, เงินฝาก",
        "เงินฝากออมทรัพย์ดอกเบี้ยร้อยละ 2.00 ต่อปี ออมทรัพย์พิเศษร้อยละ 3.00 ต่อปี (ตัวอย่างสำหรับการสาธิต)",
    ),
    (
        "deposits",
        "ถอนเงินฝากต้องทำอย่างไร",
        "ถอนเงิน, ถอนเงินฝาก, ถอน",
        "กรอกใบถอนเงินพร้อมสมุดบัญชีที่สำนักงาน หรือแจ้งผู้แทนสมาชิกให้ส่งเรื่อง โอนเข้าบัญชีธนาคารภายใน 1 วันทำการ",
    ),
    (
        "welfare",
        "สวัสดิการเมื่อนอนโรงพยาบาล เบิกอย่างไร",
        "นอนโรงพยาบาล, เจ็บป่วย, เบิกสวัสดิการ, สวัสดิการ",
        "สมาชิกนอนโรงพยาบาลเบิกได้คืนละ 300 บาท ปีละไม่เกิน 30 คืน\nเอกสาร: ใบรับรองแพทย์หรือใบเสร็จที่ระบุวันเข้า-ออก ยื่นภายใน 90 วัน",
    ),
    (
        "welfare",
        "ทุนการศึกษาบุตรสมาชิก",
        "ทุนการศึกษา, ทุน, บุตร",
        "เปิดรับสมัครทุนการศึกษาบุตรทุกเดือนมิถุนายน ผ่านผู้แทนสมาชิกหรือเว็บไซต์สหกรณ์",
    ),
    (
        "membership",
        "เงินปันผลและเฉลี่ยคืนจ่ายเมื่อไร",
        "ปันผล, เงินปันผล, เฉลี่ยคืน",
        "จ่ายหลังที่ประชุมใหญ่อนุมัติ ประมาณเดือนมกราคมของทุกปี โอนเข้าบัญชีเงินฝากออมทรัพย์ของสมาชิก",
    ),
]

SAVED = [
    ("credit", "ขอเอกสารเพิ่ม", "รบกวนส่งสำเนาบัตรประชาชนและสลิปเงินเดือนล่าสุดมาในแชตนี้ได้เลยครับ/ค่ะ"),
    ("credit", "อนุมัติแล้ว", "คำขอกู้ของท่านได้รับอนุมัติแล้ว เงินจะโอนเข้าบัญชีภายใน 1 วันทำการ"),
    ("welfare", "รับเรื่องแล้ว", "รับเรื่องเบิกสวัสดิการแล้ว จะแจ้งผลภายใน 7 วันทำการ"),
]

QUESTIONS: list[tuple[str, str | None, str, str | None]] = [
    ("ขอกู้สามัญต้องมีผู้ค้ำไหมครับ", "credit", "open", None),
    (
        "สมุดเงินฝากหาย ต้องทำอย่างไรคะ",
        "deposits",
        "open",
        "ไปที่สำนักงานพร้อมบัตรประชาชน เพื่อออกสมุดเล่มใหม่ครับ",
    ),
    (
        "แม่เสียชีวิต จะเบิกสวัสดิการได้ไหม",
        "welfare",
        "waiting",
        "เสียใจด้วยครับ รบกวนส่งสำเนาใบมรณบัตรมาในแชตนี้ครับ",
    ),
    ("อยากเปลี่ยนผู้รับผลประโยชน์", "membership", "open", None),
    ("ยอดหักเงินเดือนเดือนนี้ไม่ตรง", "accounting", "solved", "ตรวจสอบแล้ว ยอดถูกต้องตามงวดใหม่ครับ"),
]


@transaction.atomic
def demo_conversations_create() -> int:
    """Idempotent: does nothing when articles exist. Returns conversations created."""
    if Article.objects.exists():
        return 0
    departments = {d.code: d for d in Department.objects.all()}
    for dept, title, keywords, body in ARTICLES:
        Article.objects.create(
            department=departments[dept], title=title, keywords=keywords, answer=body
        )
    for dept, title, text in SAVED:
        SavedAnswer.objects.create(department=departments[dept], title=title, text=text)
    staff = User.objects.filter(username="staff").first()
    if staff is not None:
        staff.departments.add(departments["credit"], departments["management"])
    members = _demo_askers()
    now = timezone.now()
    created = 0
    for i, (member, (question, code, status, answer)) in enumerate(
        zip(members, QUESTIONS, strict=False)
    ):
        at = now - dt.timedelta(hours=30 - i * 6)
        conversation = Conversation.objects.create(
            member=member,
            line_user_id=member.line_user_id or "",
            department=departments.get(code or ""),
            routing=Conversation.Routing.KEYWORDS if code else Conversation.Routing.NONE,
            opened_at=at,
            last_message_at=at,
            waiting_since=at,
            due_at=services.due_from(at),
            message_count=1,
        )
        Message.objects.create(
            conversation=conversation, direction=Message.Direction.IN, text=question, created_at=at
        )
        if answer:
            replied = at + dt.timedelta(hours=2)
            Message.objects.create(
                conversation=conversation,
                direction=Message.Direction.OUT,
                text=answer,
                author=staff,
                send_status=Message.SendStatus.SENT,
                via=Message.Via.PUSH,
                billed=True,
                created_at=replied,
                sent_at=replied,
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                message_count=2,
                last_message_at=replied,
                first_reply_at=replied,
                waiting_since=None,
                due_at=None,
                assigned_to=staff,
                status=status,
                solved_at=replied if status == "solved" else None,
            )
        created += 1
    _demo_representative_access(members)
    return created


def _demo_askers() -> list[Member]:
    """Five members who ask: members of the register the demo's representative ("rep") leads,
    so that their phone page shows the questions; other กพ members when there is none."""
    from tocnet.registers.selectors import register_leader_q

    rep = User.objects.filter(username="rep").first()
    members: list[Member] = []
    if rep is not None:
        members = list(
            Member.objects.filter(
                register_memberships__until__isnull=True, status=Member.Status.ACTIVE
            )
            .filter(register_leader_q(rep, "register_memberships__register__"))
            .exclude(user=rep)
            .order_by("number")[:5]
        )
    if len(members) < len(QUESTIONS):
        others = Member.objects.filter(unit__abbreviation="กพ").exclude(
            pk__in=[m.pk for m in members]
        )
        if rep is not None:
            others = others.exclude(user=rep)
        members += list(others.order_by("number")[: len(QUESTIONS) - len(members)])
    return members


def _demo_representative_access(members: list[Member]) -> None:
    """The demo members said yes in LINE to "may your representative see your questions?",
    and the first question (the knowledge base answers it) is one the representative may
    answer: their phone page shows something."""
    from tocnet.privacy.models import REPRESENTATIVE_CHANNEL, Method, Purpose
    from tocnet.privacy.services import consent_set

    for member in members:
        consent_set(
            member=member,
            purpose=Purpose.REPRESENTATIVE,
            channel=REPRESENTATIVE_CHANNEL,
            allowed=True,
            method=Method.LINE,
            actor="demo",
        )
    first = Conversation.objects.filter(member__in=members).order_by("opened_at").first()
    article = Article.objects.filter(title__startswith="เงินกู้สามัญ").first()
    if first is not None and article is not None:
        Conversation.objects.filter(pk=first.pk).update(
            article=article, routing=Conversation.Routing.ARTICLE
        )
