"""Keywords per department for routing members' questions, seeded with the lists
conversations/routing.py had in code, onto the seeded departments by their codes of then."""

from django.db import migrations, models

KEYWORDS = {
    "credit": (
        "กู้", "เงินกู้", "กู้เงิน", "สินเชื่อ", "ผ่อน", "ค้ำ", "ค้ำประกัน", "ผู้ค้ำ", "สามัญ",
        "ฉุกเฉิน", "งวด", "หนี้", "รีไฟแนนซ์", "วงเงิน", "สัญญา",
    ),
    "deposits": (
        "ฝาก", "เงินฝาก", "ฝากเงิน", "ถอน", "ถอนเงิน", "ออมทรัพย์", "ประจำ", "สมุด",
        "บัญชีเงินฝาก", "ออม",
    ),
    "welfare": (
        "สวัสดิการ", "ทุน", "ทุนการศึกษา", "เสียชีวิต", "ศพ", "ฌาปนกิจ", "เจ็บป่วย",
        "นอนโรงพยาบาล", "คลอด", "บุตร", "เกษียณ", "ช่วยเหลือ", "เบิก",
    ),
    "membership": (
        "หุ้น", "ค่าหุ้น", "สมาชิก", "สมัคร", "ลาออก", "ปันผล", "เงินปันผล", "เฉลี่ยคืน",
        "ผู้รับผลประโยชน์", "ย้าย", "เปลี่ยนชื่อ",
    ),
    "accounting": (
        "ใบเสร็จ", "หักเงินเดือน", "ยอด", "ยืนยันยอด", "โอน", "ภาษี", "หนังสือรับรอง", "ชำระ",
        "รายการ",
    ),
    "management": ("ร้องเรียน", "ประชุม", "เลือกตั้ง", "กรรมการ", "ระเบียบ", "ข้อบังคับ"),
}


def seed(apps, schema_editor):
    Department = apps.get_model("accounts", "Department")
    for code, words in KEYWORDS.items():
        Department.objects.filter(code=code, keywords="").update(keywords="\n".join(words))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_add_second_factor_enrol_code")]

    operations = [
        migrations.AddField(
            model_name="department",
            name="keywords",
            field=models.TextField(
                blank=True,
                help_text="Words or short phrases members use when asking about this department, one per line (for example a new loan product's name). A member's question using them goes to this department's team; with none, questions reach it only through the menu or triage.",
                verbose_name="keywords",
            ),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
