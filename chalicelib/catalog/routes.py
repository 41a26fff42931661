"""Catalog routes: packages, features, subscription types, prices and their constants (JFW v6.9.3
paths, api-surface.md §6-§9, §20). Data only: see chalicelib/http/routing.py.

Path parameters are named as JFW's sub-resource routes name them ({packageId}, {featureId},
{subscriptionTypeId}, {priceId}) at every level: API Gateway allows one variable name per level.
Reads are ``auth="optional"``: pricing pages are public (see api.py for what anonymous callers
see).
"""

from chalicelib.catalog.constants import (
    CONSTANTS,
    JFW_STATUSES,
    PRICING_MODELS,
    SUBSCRIPTION_TYPE_STATUSES,
    SUBSCRIPTION_TYPE_UNITS,
)
from chalicelib.http.routing import PAGING, Q, Route

H = "chalicelib.catalog.api:"
S = "chalicelib.catalog.schemas:"

SORT = (Q("sortDataField", description="id, createdDate or zOrder (default zOrder)."),
        Q("sortOrder", enum=("asc", "desc"),
          description="Default asc with the default sort, desc when sortDataField is sent."))
PKG = "/api/v1/packages"
FEAT = "/api/v1/features"
SUBT = "/api/v1/subscription-types"
PRICE = "/api/v1/prices"

ROUTES = [
    # -- packages (§6) ---------------------------------------------------------------------------
    Route("GET", PKG, H + "list_packages",
          "A brand's packages with their features and prices (one Query); anonymous callers "
          "see Active ones", auth="optional", returns="array", tag="Packages", query=(
              *SORT, Q("name"), Q("code"), Q("description"), Q("tags"),
              Q("isDefault", "boolean"), Q("isFree", "boolean"), Q("keywords"),
              Q("status", enum=JFW_STATUSES))),
    Route("GET", PKG + "/{packageId}", H + "get_package", "A package with features and prices",
          auth="optional", tag="Packages"),
    Route("POST", PKG, H + "create_package",
          "Create a package (the first Active package becomes the default; code unique)",
          permission="PACKAGE.CREATE", body=S + "PackageBody", tag="Packages"),
    Route("PUT", PKG + "/{packageId}", H + "update_package",
          "Change a package (isDefault: true moves the default here; the default can't be "
          "unset or deactivated)", permission="PACKAGE.UPDATE", body=S + "PackageBody",
          tag="Packages"),
    Route("DELETE", PKG + "/{packageId}", H + "delete_package",
          "Delete a package (soft; 409 while it is the default or prices refer to it)",
          permission="PACKAGE.DELETE", returns="boolean", tag="Packages"),
    Route("GET", PKG + "/{packageId}/features", H + "package_features",
          "The features a package grants (IFeatureOfPackage[])", auth="optional",
          returns="array", tag="Packages"),
    Route("POST", PKG + "/{packageId}/features", H + "add_package_features",
          "Grant features to a package (array body; an existing link is replaced)",
          permission="PACKAGE.UPDATE", body=S + "PackageFeaturesBody", returns="boolean",
          tag="Packages"),
    Route("PUT", PKG + "/{packageId}/features/{featureId}", H + "update_package_feature",
          "Change how a package grants a feature", permission="PACKAGE.UPDATE",
          body=S + "FeatureLinkBody", returns="boolean", tag="Packages"),
    Route("DELETE", PKG + "/{packageId}/features", H + "remove_package_features",
          "Remove features from a package", permission="PACKAGE.UPDATE", returns="boolean",
          tag="Packages", query=(Q("featureIds", "array", required=True),)),
    Route("GET", PKG + "/{packageId}/prices", H + "package_prices", "A package's prices",
          auth="optional", returns="array", tag="Packages"),
    # -- features (§7) ---------------------------------------------------------------------------
    Route("GET", FEAT, H + "list_features", "A brand's features (paged)", auth="optional",
          returns="page", tag="Features", query=(
              *PAGING, Q("packageId"), Q("eventId"), Q("code"), Q("name"), Q("description"),
              Q("tags"), Q("notes"), Q("status", enum=JFW_STATUSES))),
    Route("GET", FEAT + "/{featureId}", H + "get_feature", "A feature", auth="optional",
          tag="Features"),
    Route("POST", FEAT, H + "create_feature", "Create a feature (code unique)",
          permission="FEATURE.CREATE", body=S + "FeatureBody", tag="Features"),
    Route("PUT", FEAT + "/{featureId}", H + "update_feature", "Change a feature",
          permission="FEATURE.UPDATE", body=S + "FeatureBody", tag="Features"),
    Route("DELETE", FEAT + "/{featureId}", H + "delete_feature",
          "Delete a feature (soft; 409 while packages grant it)", permission="FEATURE.DELETE",
          returns="boolean", tag="Features"),
    Route("GET", FEAT + "/{featureId}/packages", H + "feature_packages",
          "The packages that grant a feature", auth="optional", returns="array",
          tag="Features"),
    Route("POST", FEAT + "/{featureId}/packages", H + "add_feature_packages",
          "Grant a feature to packages (array body)", permission="FEATURE.UPDATE",
          body=S + "FeaturePackagesBody", returns="boolean", tag="Features"),
    Route("DELETE", FEAT + "/{featureId}/packages", H + "remove_feature_packages",
          "Remove a feature from packages", permission="FEATURE.UPDATE", returns="boolean",
          tag="Features", query=(Q("packageIds", "array", required=True),)),
    # -- subscription types (§8) -----------------------------------------------------------------
    Route("GET", SUBT, H + "list_subscription_types",
          "A brand's subscription types (JFW's predefined durations included)",
          auth="optional", returns="array", tag="Subscription types", query=(
              *SORT, Q("name"), Q("unit", enum=SUBSCRIPTION_TYPE_UNITS),
              Q("status", enum=SUBSCRIPTION_TYPE_STATUSES), Q("tags"), Q("description"),
              Q("keywords"))),
    Route("GET", SUBT + "/{subscriptionTypeId}", H + "get_subscription_type",
          "A subscription type", auth="optional", tag="Subscription types"),
    Route("POST", SUBT, H + "create_subscription_type",
          "Create a subscription type (name unique)", permission="SUBSCRIPTION-TYPE.CREATE",
          body=S + "SubscriptionTypeBody", tag="Subscription types"),
    Route("PUT", SUBT + "/{subscriptionTypeId}", H + "update_subscription_type",
          "Change a subscription type", permission="SUBSCRIPTION-TYPE.UPDATE",
          body=S + "SubscriptionTypeBody", tag="Subscription types"),
    Route("DELETE", SUBT + "/{subscriptionTypeId}", H + "delete_subscription_type",
          "Delete a subscription type (soft; 409 while default or prices refer to it)",
          permission="SUBSCRIPTION-TYPE.DELETE", returns="boolean", tag="Subscription types"),
    Route("GET", SUBT + "/{subscriptionTypeId}/prices", H + "subscription_type_prices",
          "The prices of a subscription type", auth="optional", returns="array",
          tag="Subscription types"),
    # -- prices (§9) -----------------------------------------------------------------------------
    Route("GET", PRICE, H + "list_prices",
          "A brand's prices (a plain array; pageNumber/pageSize cut it when sent)",
          auth="optional", returns="array", tag="Prices", query=(
              *PAGING, Q("paymentMethodId"), Q("packageId"), Q("subscriptionTypeId"),
              Q("code"), Q("name"), Q("description"), Q("amount", "number"), Q("currency"),
              Q("checkoutLink"), Q("tags"), Q("zOrder", "integer"),
              Q("pricingModel", enum=PRICING_MODELS))),
    Route("GET", PRICE + "/{priceId}", H + "get_price", "A price", auth="optional",
          tag="Prices"),
    Route("POST", PRICE, H + "create_price",
          "Create a price (amount checked against the currency's decimals; code unique)",
          permission="PRICE.CREATE", body=S + "PriceBody", tag="Prices"),
    Route("PUT", PRICE + "/{priceId}", H + "update_price", "Change a price",
          permission="PRICE.UPDATE", body=S + "PriceBody", tag="Prices"),
    Route("DELETE", PRICE + "/{priceId}", H + "delete_price",
          "Delete a price (soft; its code is freed)", permission="PRICE.DELETE",
          returns="boolean", tag="Prices"),
    # -- constants (§20; all but feature/types and coupon/status are ours) -----------------------
    *[Route("GET", f"/api/v1/constants/{name}", H + "constant", f"The {name} values",
            auth="none", brand=False, returns="strings", tag="Constants") for name in CONSTANTS],
    Route("GET", "/api/v1/constants/currencies", H + "currencies",
          "ISO 4217 currencies with their minor-unit exponent: [{code, name, exponent}]",
          auth="none", brand=False, returns="array", tag="Constants"),
]
