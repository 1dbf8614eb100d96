"""Who applies in the demo data and how far each application gets: the applicants, and one plan per application
of the open round and of last year's closed round."""

from __future__ import annotations

from dataclasses import dataclass

from portal.supervisors.models import ResearchField as F

BECKER, ZHANG = "supervisor.de@example.org", "supervisor.cn@example.org"
COORDINATOR = "coordinator@example.org"
# The committee members by letter, as the plans below name them.
REVIEWERS = {
    "K": "committee@example.org",
    "L": "k.lehmann@example.org",
    "M": "ma.jun@example.org",
    "N": "li.na@example.org",
}

# (email, family name, given names, name in the native script, nationality, language, time zone)
PEOPLE: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("applicant@example.org", "Li", "Wei", "李伟", "CN", "zh", "Asia/Shanghai"),
    ("wang.haoran@example.com", "Wang", "Haoran", "王浩然", "CN", "zh", "Asia/Shanghai"),
    ("chen.yuxin@example.com", "Chen", "Yuxin", "陈雨欣", "CN", "zh", "Asia/Shanghai"),
    ("lena.schmidt@example.com", "Schmidt", "Lena", "", "DE", "de", "Europe/Berlin"),
    ("liu.zihan@example.com", "Liu", "Zihan", "刘子涵", "CN", "zh", "Asia/Shanghai"),
    ("priya.sharma@example.net", "Sharma", "Priya", "प्रिया शर्मा", "IN", "en", "Asia/Kolkata"),
    ("zhao.mingyu@example.com", "Zhao", "Mingyu", "赵明宇", "CN", "zh", "Asia/Shanghai"),
    ("huang.siyu@example.com", "Huang", "Siyu", "黄思雨", "CN", "zh", "Asia/Shanghai"),
    ("nguyen.thilan@example.net", "Nguyen", "Thi Lan", "Nguyễn Thị Lan", "VN", "en", "Asia/Ho_Chi_Minh"),
    ("zhou.jiahao@example.com", "Zhou", "Jiahao", "周家豪", "CN", "zh", "Asia/Shanghai"),
    ("wu.xinyi@example.com", "Wu", "Xinyi", "吴欣怡", "CN", "zh", "Asia/Shanghai"),
    ("elif.yilmaz@example.net", "Yılmaz", "Elif", "", "TR", "en", "Europe/Istanbul"),
    ("xu.tianyi@example.com", "Xu", "Tianyi", "徐天翼", "CN", "zh", "Asia/Shanghai"),
    ("sun.yiming@example.com", "Sun", "Yiming", "孙一鸣", "CN", "zh", "Asia/Shanghai"),
    ("ma.ruoxi@example.com", "Ma", "Ruoxi", "马若曦", "CN", "zh", "Asia/Shanghai"),
    ("jonas.hoffmann@example.com", "Hoffmann", "Jonas", "", "DE", "de", "Europe/Berlin"),
    ("kim.minji@example.net", "Kim", "Minji", "김민지", "KR", "en", "Asia/Seoul"),
    ("zhu.haoyu@example.com", "Zhu", "Haoyu", "朱浩宇", "CN", "zh", "Asia/Shanghai"),
    ("hu.jingwen@example.com", "Hu", "Jingwen", "胡静雯", "CN", "zh", "Asia/Shanghai"),
    ("guo.zhiqiang@example.com", "Guo", "Zhiqiang", "郭志强", "CN", "zh", "Asia/Shanghai"),
    ("giulia.rossi@example.net", "Rossi", "Giulia", "", "IT", "en", "Europe/Rome"),
    ("he.lina@example.com", "He", "Lina", "何丽娜", "CN", "zh", "Asia/Shanghai"),
    ("marek.kowalski@example.net", "Kowalski", "Marek", "", "PL", "en", "Europe/Warsaw"),
    ("lin.shuyao@example.com", "Lin", "Shuyao", "林书瑶", "CN", "zh", "Asia/Shanghai"),
    ("chinedu.okafor@example.net", "Okafor", "Chinedu", "", "NG", "en", "Africa/Lagos"),
    ("gao.yue@example.com", "Gao", "Yue", "高悦", "CN", "zh", "Asia/Shanghai"),
    ("zheng.wenbo@example.com", "Zheng", "Wenbo", "郑文博", "CN", "zh", "Asia/Shanghai"),
    ("liang.xiaoqing@example.com", "Liang", "Xiaoqing", "梁晓晴", "CN", "zh", "Asia/Shanghai"),
    ("song.zhiyuan@example.com", "Song", "Zhiyuan", "宋志远", "CN", "zh", "Asia/Shanghai"),
    ("paul.mueller@example.com", "Müller", "Paul", "", "DE", "de", "Europe/Berlin"),
    ("tang.meiling@example.com", "Tang", "Meiling", "唐美玲", "CN", "zh", "Asia/Shanghai"),
    ("han.bowen@example.com", "Han", "Bowen", "韩博文", "CN", "zh", "Asia/Shanghai"),
    ("daria.ivanova@example.net", "Ivanova", "Daria", "Дарья Иванова", "RU", "en", "Europe/Moscow"),
    ("feng.yutong@example.com", "Feng", "Yutong", "冯雨桐", "CN", "zh", "Asia/Shanghai"),
    ("deng.hao@example.com", "Deng", "Hao", "邓昊", "CN", "zh", "Asia/Shanghai"),
    ("ana.silva@example.net", "Silva", "Ana", "", "BR", "en", "America/Sao_Paulo"),
    ("cao.xinran@example.com", "Cao", "Xinran", "曹欣然", "CN", "zh", "Asia/Shanghai"),
    ("omar.haddad@example.net", "Haddad", "Omar", "عمر حداد", "JO", "en", "Asia/Amman"),
    ("peng.zekai@example.com", "Peng", "Zekai", "彭泽楷", "CN", "zh", "Asia/Shanghai"),
    ("xie.wanting@example.com", "Xie", "Wanting", "谢婉婷", "CN", "zh", "Asia/Shanghai"),
    ("yu.chenxi@example.com", "Yu", "Chenxi", "余晨曦", "CN", "zh", "Asia/Shanghai"),
    ("yuki.tanaka@example.net", "Tanaka", "Yuki", "田中由紀", "JP", "en", "Asia/Tokyo"),
)


# Per application: (applicant, state, field, German supervisor, Chinese supervisor, statements, reviews, letters).
# state: draft1 (personal data only) … draft4 (all but one referee), draft5 (complete, not submitted), withdrawn-draft,
#   submitted, withdrawn (after submission), review, decided:<outcome> (not released), released:<outcome>.
# Supervisors: an email, or None for one picked by the research field. Statements: German then Chinese side,
#   w willing, c under conditions, u not willing, - none yet. Reviews: committee member letter (REVIEWERS) with
#   n not started, d draft, s submitted, r submitted and revised; x: declared a conflict. Letters: how many arrived.
Plan = tuple[str, str, F, str | None, str | None, str, str, int]
OPEN_ROUND: tuple[Plan, ...] = (
    ("applicant@example.org", "review", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "w-", "Kn Ms", 1),
    ("wang.haoran@example.com", "review", F.INTELLIGENT_MANUFACTURING, BECKER, None, "u-", "Kd Ns", 2),
    ("chen.yuxin@example.com", "review", F.ENERGY_HYDROGEN, None, ZHANG, "-w", "Ks Ls", 2),
    ("lena.schmidt@example.com", "review", F.BIG_DATA, None, None, "ww", "Ks Md", 2),  # Li Na is her referee
    ("liu.zihan@example.com", "review", F.MATERIALS, BECKER, None, "--", "Kn Ln", 1),
    ("priya.sharma@example.net", "review", F.DIGITAL_HEALTH, None, None, "w-", "Ms Ns", 2),
    ("zhao.mingyu@example.com", "review", F.ECONOMICS_SOCIETY, None, None, "wc", "Lx Kd Ns", 2),
    ("huang.siyu@example.com", "review", F.INTELLIGENT_MANUFACTURING, None, ZHANG, "-u", "Ks Ms", 2),
    ("nguyen.thilan@example.net", "review", F.BIG_DATA, None, None, "--", "Ln Mn", 0),
    ("zhou.jiahao@example.com", "review", F.ENERGY_HYDROGEN, None, ZHANG, "w-", "Kn Ln", 1),
    ("gao.yue@example.com", "review", F.DIGITAL_HEALTH, None, None, "ww", "Ms Nd", 2),
    ("wu.xinyi@example.com", "decided:admit", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "ww", "Ks Ms", 2),
    ("elif.yilmaz@example.net", "decided:waiting_list", F.MATERIALS, None, None, "wc", "Ls Ns", 2),
    ("xu.tianyi@example.com", "decided:reject", F.BIG_DATA, None, None, "uw", "Ks Ls", 2),
    ("sun.yiming@example.com", "submitted", F.INTELLIGENT_MANUFACTURING, BECKER, None, "--", "", 1),
    ("ma.ruoxi@example.com", "submitted", F.ENERGY_HYDROGEN, None, ZHANG, "--", "", 0),
    ("jonas.hoffmann@example.com", "submitted", F.ECONOMICS_SOCIETY, None, None, "--", "", 2),
    ("kim.minji@example.net", "submitted", F.DIGITAL_HEALTH, None, None, "w-", "", 1),
    ("zhu.haoyu@example.com", "submitted", F.INTELLIGENT_MANUFACTURING, BECKER, ZHANG, "--", "", 1),
    ("hu.jingwen@example.com", "draft5", F.DIGITAL_HEALTH, None, None, "--", "", 0),
    ("guo.zhiqiang@example.com", "draft4", F.INTELLIGENT_MANUFACTURING, BECKER, None, "--", "", 0),
    ("giulia.rossi@example.net", "draft3", F.MATERIALS, None, None, "--", "", 0),
    ("he.lina@example.com", "draft2", F.ECONOMICS_SOCIETY, None, None, "--", "", 0),
    ("marek.kowalski@example.net", "draft1", F.BIG_DATA, None, None, "--", "", 0),
    ("lin.shuyao@example.com", "withdrawn", F.ECONOMICS_SOCIETY, None, None, "--", "", 1),
    ("chinedu.okafor@example.net", "withdrawn-draft", F.ENERGY_HYDROGEN, None, None, "--", "", 0),
)
CLOSED_ROUND: tuple[Plan, ...] = (
    ("applicant@example.org", "released:waiting_list", F.INTELLIGENT_MANUFACTURING, None, None, "wc", "Kr Ms", 2),
    ("zheng.wenbo@example.com", "released:admit", F.INTELLIGENT_MANUFACTURING, BECKER, None, "ww", "Ks Ls", 2),
    ("liang.xiaoqing@example.com", "released:admit", F.ENERGY_HYDROGEN, None, ZHANG, "ww", "Ks Ms", 2),
    ("song.zhiyuan@example.com", "released:admit", F.BIG_DATA, None, None, "ww", "Ls Ns", 2),
    ("paul.mueller@example.com", "released:admit", F.MATERIALS, None, None, "wc", "Ks Ns", 2),
    ("tang.meiling@example.com", "released:admit", F.DIGITAL_HEALTH, None, None, "ww", "Ms Ls", 2),
    ("han.bowen@example.com", "released:waiting_list", F.ECONOMICS_SOCIETY, None, None, "cw", "Ks Ls", 2),
    ("daria.ivanova@example.net", "released:waiting_list", F.BIG_DATA, None, None, "ww", "Ms Ns", 2),
    ("feng.yutong@example.com", "released:reject", F.INTELLIGENT_MANUFACTURING, BECKER, None, "uw", "Ks Ms", 1),
    ("deng.hao@example.com", "released:reject", F.ENERGY_HYDROGEN, None, ZHANG, "-u", "Ls Ms", 2),
    ("ana.silva@example.net", "released:reject", F.DIGITAL_HEALTH, None, None, "--", "Ks Ls", 2),
    ("cao.xinran@example.com", "released:reject", F.MATERIALS, None, None, "wu", "Ms Ns", 1),
    ("omar.haddad@example.net", "released:reject", F.ECONOMICS_SOCIETY, None, None, "u-", "Ks Ns", 2),
    ("peng.zekai@example.com", "withdrawn", F.BIG_DATA, None, None, "--", "", 2),
    ("xie.wanting@example.com", "withdrawn-draft", F.MATERIALS, None, None, "--", "", 0),
    ("yu.chenxi@example.com", "draft2", F.DIGITAL_HEALTH, None, None, "--", "", 0),
    ("yuki.tanaka@example.net", "draft4", F.INTELLIGENT_MANUFACTURING, None, None, "--", "", 0),
)
# The plan whose second referee sits on the committee (a conflict the assignment page shows).
REFEREE_ON_COMMITTEE = ("lena.schmidt@example.com", "Li Na", REVIEWERS["N"], "Tongji University")


@dataclass(frozen=True)
class Person:
    email: str
    family: str
    given: str
    native: str
    nationality: str
    language: str
    timezone: str

    @property
    def account_name(self) -> str:
        eastern = self.nationality in {"CN", "JP", "KR", "VN"}
        return f"{self.family} {self.given}" if eastern else f"{self.given} {self.family}"


PERSONS = {row[0]: Person(*row) for row in PEOPLE}
