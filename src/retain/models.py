"""Every domain's store tables, imported so that Base.metadata knows them all (for Alembic)."""

from retain.assistant.models import AssistantConversation, AssistantEvaluation, AssistantMessage
from retain.auth.models import ApiKey, AuditEntry, User
from retain.churn.models import ChurnScore, CustomerTask, HealthScore, UsageAlert
from retain.currency.models import ExchangeRate
from retain.customers.models import CustomerProfile
from retain.engage.models import Enrollment, PlaybookRecord
from retain.ingest.models import IdempotentRequest, ImportRun
from retain.lifetime.tables import CustomerPrediction
from retain.loyalty.models import (
    LoyaltyAllocation,
    LoyaltyCampaign,
    LoyaltyEntry,
    LoyaltyMember,
    LoyaltyRedemption,
    LoyaltyReferral,
    LoyaltyRuleset,
    LoyaltyTierChange,
)
from retain.messaging.models import Consent, Delivery, MessageTemplate, Suppression
from retain.returns.models import (
    CreditAccount,
    CreditEntry,
    ReturnInstruction,
    ReturnLine,
    ReturnOrderLock,
    ReturnOutboxEvent,
    ReturnPolicyVersion,
    ReturnRequest,
    ReturnTransition,
    ReturnWebhook,
)
from retain.segments.models import SegmentDefinition, SegmentMembership
from retain.store import Base
from retain.support.models import (
    Article,
    ArticleUse,
    CannedReply,
    SupportTeam,
    SupportTeamMember,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from retain.warehouse.models import WarehouseExport

__all__ = [
    "AssistantConversation",
    "AssistantEvaluation",
    "AssistantMessage",
    "ApiKey",
    "AuditEntry",
    "Base",
    "ChurnScore",
    "Consent",
    "CustomerPrediction",
    "CustomerProfile",
    "CustomerTask",
    "Enrollment",
    "Delivery",
    "ExchangeRate",
    "HealthScore",
    "IdempotentRequest",
    "ImportRun",
    "LoyaltyAllocation",
    "LoyaltyCampaign",
    "LoyaltyEntry",
    "LoyaltyMember",
    "LoyaltyRedemption",
    "LoyaltyReferral",
    "LoyaltyRuleset",
    "LoyaltyTierChange",
    "PlaybookRecord",
    "SegmentDefinition",
    "SegmentMembership",
    "MessageTemplate",
    "Suppression",
    "UsageAlert",
    "User",
    "WarehouseExport",
    "CreditAccount",
    "CreditEntry",
    "ReturnInstruction",
    "ReturnLine",
    "ReturnOrderLock",
    "ReturnOutboxEvent",
    "ReturnPolicyVersion",
    "ReturnRequest",
    "ReturnTransition",
    "ReturnWebhook",
    "Article",
    "ArticleUse",
    "CannedReply",
    "SupportTeam",
    "SupportTeamMember",
    "Ticket",
    "TicketEvent",
    "TicketMessage",
]

from retain.feedback.models import FeedbackItem, Survey, SurveyAnswer, SurveyInvitation  # noqa: E402

__all__ += ["FeedbackItem", "Survey", "SurveyAnswer", "SurveyInvitation"]
