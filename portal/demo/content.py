"""The texts of the demo data: subjects, proposals, universities and grades by country, referees' names, and what
reviewers, supervisors and the coordinator write."""

from __future__ import annotations

from portal.applications.models import DecisionOutcome
from portal.review.models import StatementAnswer
from portal.supervisors.models import ResearchField as F

SUBJECTS = {
    F.INTELLIGENT_MANUFACTURING: "Mechanical Engineering",
    F.BIG_DATA: "Computer Science and Technology",
    F.ENERGY_HYDROGEN: "Energy and Power Engineering",
    F.MATERIALS: "Materials Science and Engineering",
    F.DIGITAL_HEALTH: "Biomedical Engineering",
    F.ECONOMICS_SOCIETY: "Economics",
}
# (title, keywords, what the project does) per field.
# fmt: off
PROPOSALS: dict[F, tuple[tuple[str, str, str], ...]] = {
    F.INTELLIGENT_MANUFACTURING: (
        ("Digital twins for adaptive process control in laser powder bed fusion",
         "additive manufacturing, digital twin, process control",
         "couples in-situ melt pool monitoring with a reduced-order simulation"),
        ("Human–robot collaboration in small-batch assembly", "robotics, assembly, human factors",
         "studies task allocation between workers and collaborative robots"),
    ),
    F.BIG_DATA: (
        ("Federated learning on industrial time series", "federated learning, time series, privacy",
         "trains anomaly detectors across factories without sharing raw data"),
        ("Scalable graph analytics for urban mobility data", "graph analytics, mobility, distributed systems",
         "builds a distributed pipeline for city-scale trip data"),
    ),
    F.ENERGY_HYDROGEN: (
        ("Degradation of PEM fuel cells under dynamic load profiles", "fuel cells, degradation, hydrogen vehicles",
         "measures and models ageing under realistic driving cycles"),
        ("Hydrogen storage in salt caverns: a techno-economic assessment", "hydrogen storage, energy systems",
         "compares storage options for the grids of Lower Saxony and Sichuan"),
    ),
    F.MATERIALS: (
        ("Hydrogen embrittlement of high-strength pipeline steels", "hydrogen embrittlement, steel, fracture",
         "combines slow strain rate tests with microstructural analysis"),
        ("Bio-based polymer composites for lightweight car bodies", "composites, polymers, lightweight design",
         "develops flax fibre composites and tests their crash behaviour"),
    ),
    F.DIGITAL_HEALTH: (
        ("Interoperable health records for cross-border telemedicine", "health records, interoperability, HL7 FHIR",
         "maps German and Chinese record standards onto a common model"),
        ("Deep learning for early detection of diabetic retinopathy", "medical imaging, deep learning",
         "validates screening models on clinical data from two countries"),
    ),
    F.ECONOMICS_SOCIETY: (
        ("Sino-German supply chains after the pandemic", "supply chains, resilience, trade",
         "analyses firm-level data on sourcing decisions since 2020"),
        ("Regional innovation policy in Henan and Lower Saxony", "innovation policy, regional economics",
         "compares the instruments and outcomes of two regional programmes"),
    ),
}
CN_UNIVERSITIES = (
    "Sichuan University", "Tongji University", "Zhengzhou University", "Beihang University", "Wuhan University",
    "Harbin Institute of Technology", "Xi'an Jiaotong University", "Chongqing University",
)
# fmt: on
# Nationality: (institution, degree suffix, grading scale, lowest and best grade as numbers, decimals).
HOME_EDUCATION: dict[str, tuple[str, str, str, float, float, int]] = {
    "DE": ("Technische Universität München", "Sc.", "1.0 (best) to 4.0 (pass)", 2.3, 1.1, 1),
    "IN": ("Indian Institute of Technology Bombay", "Tech.", "CGPA out of 10", 7.5, 9.6, 2),
    "VN": ("Hanoi University of Science and Technology", "Eng.", "out of 10, 5 to pass", 7.0, 9.2, 1),
    "KR": ("KAIST", "Sc.", "GPA out of 4.3", 3.3, 4.2, 2),
    "IT": ("Politecnico di Milano", "Sc.", "out of 110", 98, 110, 0),
    "TR": ("Middle East Technical University", "Sc.", "GPA out of 4.0", 3.0, 3.9, 2),
    "PL": ("Warsaw University of Technology", "Eng.", "2 (fail) to 5 (best)", 4.0, 5.0, 1),
    "NG": ("University of Lagos", "Sc.", "CGPA out of 5", 3.8, 4.8, 2),
    "RU": ("Lomonosov Moscow State University", "Sc.", "2 to 5 (best)", 4.2, 5.0, 1),
    "BR": ("Universidade de São Paulo", "Sc.", "0 to 10", 7.5, 9.5, 1),
    "JO": ("University of Jordan", "Sc.", "percent", 75, 92, 0),
    "JP": ("Osaka University", "Eng.", "GPA out of 4.0", 3.0, 3.9, 2),
    "CN": ("", "Eng.", "100-point scale, 60 to pass", 80, 93, 0),
}
HOME_CITY = {
    "DE": "80333 Munich, Germany",
    "IN": "Mumbai 400076, India",
    "VN": "Hanoi, Vietnam",
    "KR": "Daejeon 34141, Republic of Korea",
    "IT": "20133 Milan, Italy",
    "TR": "06800 Ankara, Türkiye",
    "PL": "00-661 Warsaw, Poland",
    "NG": "Lagos, Nigeria",
    "RU": "119991 Moscow, Russia",
    "BR": "São Paulo 05508, Brazil",
    "JO": "Amman 11942, Jordan",
    "JP": "Suita, Osaka 565-0871, Japan",
}
# fmt: off
REFEREE_NAMES = {
    "CN": ("Li Qiang", "Wang Jianguo", "Zhang Hua", "Liu Bo", "Chen Gang", "Yang Fan", "Zhao Hong", "Sun Lei"),
    "other": ("Maria Lange", "David Miller", "Sofia Bianchi", "Arjun Mehta", "Anna Kowalczyk", "Mehmet Demir",
              "Hiroshi Sato", "Olga Petrova"),
}
# fmt: on
REVIEW_COMMENTS = {
    "strongly_admit": "Excellent record and a convincing, well-scoped proposal; both supervisors are a very good fit.",
    "admit": "Solid candidate with a clear plan. The work programme for the first year could be more specific.",
    "borderline": "Good grades, but the proposal is still vague on methods. An interview would help.",
    "reject": "The proposal does not yet show a research question of doctoral scope; the fit with the programme "
    "is weak.",
}
STATEMENT_COMMENTS = {
    StatementAnswer.WILLING: "The topic fits my group's work well; I met the candidate in an online interview.",
    StatementAnswer.CONDITIONAL: "I would supervise the project if its scope is narrowed to one material system.",
    StatementAnswer.UNWILLING: "The project lies outside my group's current work; I cannot offer a workplace.",
}
DECISION_NOTES = {
    DecisionOutcome.ADMIT: "Ranked among the best applications; both supervisors agree.",
    DecisionOutcome.WAITING_LIST: "Good application; admitted if a place becomes free.",
    DecisionOutcome.REJECT: "",
}
