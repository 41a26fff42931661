"""Brand routes (JFW v6.9.3 paths, plus brand domains). Data only: see chalicelib/http/routing.py.

``GET v1/brands/by-url`` lives in identity/routes.py.
"""

from chalicelib.http.routing import PAGING, Q, Route

H = "chalicelib.identity.brand_api:"
S = "chalicelib.identity.brand_schemas:"
T = "Brands"

FILTERS = (
    Q("code", description="Exact code, any case."),
    Q("name", description="Part of the name, any case."),
    Q("abbr", description="Exact abbreviation, any case."),
    Q("description", description="Part of the description, any case."),
    Q("tags", description="Part of the tags, any case."),
    Q("status", enum=("Active", "Inactive")),
    Q("parentId", description="Only the direct children of this brand."),
)

ROUTES = [
    Route("GET", "/api/v1/brands", H + "list_brands",
          "Brands the caller may see: their brand and its descendants (the platform: all)",
          permission="BRAND.READ", query=PAGING + FILTERS, returns="page", tag=T),
    Route("POST", "/api/v1/brands", H + "create_brand",
          "Create a brand and claim its domain (the platform's SuperAdmin only)",
          permission="BRAND.CREATE", body=S + "BrandCreateBody", tag=T),
    Route("GET", "/api/v1/brands/check-domain-exists/{domain}", H + "check_domain",
          "Whether a domain already belongs to a brand", permission="BRAND.READ",
          returns="boolean", tag=T),
    Route("GET", "/api/v1/brands/{id}", H + "get_brand",
          "A brand: the caller's own or one of its descendants", permission="BRAND.READ", tag=T),
    Route("PUT", "/api/v1/brands/{id}", H + "update_brand", "Change name, abbr, description, tags",
          permission="BRAND.UPDATE", body=S + "BrandUpdateBody", returns="boolean", tag=T),
    Route("DELETE", "/api/v1/brands/{id}", H + "delete_brand",
          "Soft-delete a brand without live child brands (not the system brand, not your own)",
          permission="BRAND.DELETE", returns="boolean", tag=T),
    Route("PUT", "/api/v1/brands/{id}/setting", H + "update_setting",
          "Change settings (password policy, CDN, mail senders, ...); fields left out stay",
          permission="BRAND.UPDATE", body=S + "BrandSettingBody", returns="boolean", tag=T),
    Route("PUT", "/api/v1/brands/{id}/profile", H + "update_profile",
          "Change the profile (slogan, logo, colours); fields left out stay",
          permission="BRAND.UPDATE", body=S + "BrandProfileBody", returns="boolean", tag=T),
    Route("POST", "/api/v1/brands/{id}/domains", H + "add_domain",
          "Add a domain that resolves Brand-URL to this brand (claimed: taken is 409)",
          permission="BRAND.UPDATE", body=S + "DomainBody", tag=T),
    Route("DELETE", "/api/v1/brands/{id}/domains/{domainId}", H + "remove_domain",
          "Remove a domain (not the primary one) and release it", permission="BRAND.UPDATE",
          returns="boolean", tag=T),
]
