"""License validation and offline certificate routes (our design, beyond JFW). Data only."""

from chalicelib.http.routing import Route

H = "chalicelib.licensing.cert_api:"
S = "chalicelib.licensing.device_schemas:"

ROUTES = [
    Route("POST", "/api/v1/licenses/validate", H + "validate",
          "Is a license (or a user's package) valid now, with a reason code (Keygen style)",
          auth="optional", body=S + "ValidateBody", tag="Licenses",
          answers=(429,)),  # anonymous callers per source IP and per brand
    Route("GET", "/api/v1/licenses/public-key", H + "public_key",
          "The brand's Ed25519 public key that verifies offline certificates", auth="none",
          tag="Licenses"),
    Route("POST", "/api/v1/licenses/certificate", H + "certificate",
          "A signed offline certificate of the caller's package (optionally bound to a device)",
          body=S + "CertificateBody", tag="Licenses"),
]
