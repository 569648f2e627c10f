"""Intent, entity and route names shared by NLU, dialogue, knowledge base and tests
(the contract in the design's taxonomy; names are used verbatim everywhere)."""
from __future__ import annotations

from typing import Dict, Tuple

# Topic intents and how the bot names each topic to the worker.
TOPICS: Dict[str, str] = {
    "wage_arrears": "拖欠工资",
    "overtime": "加班和工作时间",
    "minimum_wage": "最低工资",
    "labor_contract": "劳动合同",
    "probation": "试用期",
    "dismissal": "辞退和经济补偿",
    "resignation": "辞职和离职",
    "social_insurance": "社会保险",
    "work_injury": "工伤",
    "maternity_protection": "孕产期保护和产假",
    "leave": "休假",
    "non_standard_employment": "派遣、外包和新就业形态",
    "non_compete": "竞业限制和保密",
    "collective_bargaining": "集体合同和工资集体协商",
    "union_services": "工会服务",
    "dispute_resolution": "维权途径（调解、仲裁、诉讼）",
    "legal_aid": "法律援助",
    "discrimination": "就业歧视",
    "occupational_safety": "劳动保护和安全",
    "retirement": "退休和养老",
    "employment_services": "就业服务",
}

CONVERSATION_INTENTS: Tuple[str, ...] = (
    "greet", "goodbye", "thank", "affirm", "deny", "inform",
    "request_human", "bot_challenge", "emergency", "out_of_scope",
)

ENTITIES: Tuple[str, ...] = (
    "province", "city", "district", "money", "duration", "date", "worker_group", "contract_status",
)

# Route types and how the bot names them.
ROUTES: Dict[str, str] = {
    "emergency": "紧急求助",
    "mediation": "劳动争议调解",
    "labour_inspection": "劳动保障监察（投诉举报）",
    "arbitration": "劳动人事争议仲裁",
    "legal_aid": "法律援助",
    "union": "工会",
    "injury_recognition": "工伤认定",
    "social_insurance_agency": "社保经办机构",
    "court": "人民法院",
    "employment_service": "公共就业服务",
}

CONTRACT_STATUSES: Tuple[str, ...] = ("signed", "unsigned", "expired")
