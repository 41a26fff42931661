"""Identity's public face: what other contexts (and the HTTP pipeline) use. Import it as
``from chalicelib.identity import service as identity``; everything else in identity/ is
internal.

- the request pipeline: ``resolve_brand``, ``authenticate``, ``require_permission``,
  ``has_permission`` (http/dispatch.py and handlers that narrow by permission);
- "self or permission": ``require_self_or`` / ``is_self`` (policy.py), one rule for every route
  where a user acts on their own things and an administrator needs a permission;
- users: ``get_user_item``, ``user_dto``, ``users_by_ids``, ``find_user_by_login``,
  ``register_user``, ``referrer_for_code``, ``user_package_update`` (licensing's mirror),
  ``caller_for_key`` (an Auth-Key sent in a body), ``hash_password``;
- brands: ``get_brand``, ``find_brand_by_host``, ``create_brand``, ``update_brand_setting``,
  ``DEFAULT_BRAND_SETTING``, ``clear_brand_cache``;
- links: ``check_brand_link`` (a link must open one of the brand's own pages);
- rate limits: ``rate_limit_check`` / ``rate_limit_hit`` (the fixed-window counters);
- the user partition key ``user_pk`` (items other contexts keep in a user's partition);
- what happens to users: ``subscribe_user_events`` (the ``user-event`` outbox kind,
  ``USER_EVENT``: a registration's ``USER.REGISTERED``; userevents.py).
"""

from __future__ import annotations

from chalicelib.identity.access import authenticate, resolve_brand
from chalicelib.identity.access import has as has_permission
from chalicelib.identity.access import require as require_permission
from chalicelib.identity.brands import DEFAULT_SETTING as DEFAULT_BRAND_SETTING
from chalicelib.identity.brands import clear_cache as clear_brand_cache
from chalicelib.identity.brands import create as create_brand
from chalicelib.identity.brands import find_by_host as find_brand_by_host
from chalicelib.identity.brands import get as get_brand
from chalicelib.identity.brands import update_setting as update_brand_setting
from chalicelib.identity.constants import USER_STATUSES, USER_TYPES
from chalicelib.identity.links import check_brand_link
from chalicelib.identity.models import user_pk
from chalicelib.identity.passwords import hash_password
from chalicelib.identity.phoneverify import CODE_SENT as PHONE_CODE_SENT  # the phone lookup
from chalicelib.identity.policy import is_self, require_self_or
from chalicelib.identity.ratelimit import check as rate_limit_check
from chalicelib.identity.ratelimit import hit as rate_limit_hit
from chalicelib.identity.recovery import RESET_KIND  # the outbox kind it registers
from chalicelib.identity.sessions import caller_for_key
from chalicelib.identity.user_admin import MAX_IDS as MAX_USER_IDS
from chalicelib.identity.user_admin import by_ids as users_by_ids
from chalicelib.identity.userevents import USER_EVENT
from chalicelib.identity.userevents import subscribe as subscribe_user_events
from chalicelib.identity.users import NO_EXPIRY, referrer_for_code, set_package_lookup
from chalicelib.identity.users import find_by_login as find_user_by_login
from chalicelib.identity.users import get_item as get_user_item
from chalicelib.identity.users import package_update as user_package_update
from chalicelib.identity.users import register as register_user
from chalicelib.identity.users import to_dto as user_dto

__all__ = [
    "DEFAULT_BRAND_SETTING", "MAX_USER_IDS", "NO_EXPIRY", "RESET_KIND", "USER_EVENT",
    "USER_STATUSES", "USER_TYPES", "authenticate", "caller_for_key", "check_brand_link",
    "clear_brand_cache",
    "create_brand", "find_brand_by_host", "find_user_by_login", "get_brand", "get_user_item",
    "has_permission", "hash_password", "is_self", "rate_limit_check", "rate_limit_hit",
    "referrer_for_code", "register_user", "require_permission", "require_self_or",
    "resolve_brand", "set_package_lookup", "subscribe_user_events", "update_brand_setting",
    "user_dto", "user_package_update", "user_pk", "users_by_ids",
    "PHONE_CODE_SENT",
]
