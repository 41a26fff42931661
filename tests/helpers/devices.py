"""Devices: request bodies and a package that limits them."""

from __future__ import annotations

from tests.helpers.api import Api


def device_body(code: str, **extra) -> dict:
    return {"type": "Desktop", "code": code, "name": f"Device {code}", "osDevice": "Linux",
            "appVersionNumber": "1.0", **extra}


def package_with_devices(admin: Api, limit: int | None, *, code: str = "PRO",
                         default: bool = True, feature_code: str = "DEVICE",
                         extra_features: tuple = ()) -> dict:
    """A package whose feature ``feature_code`` allows ``limit`` devices (None: unlimited);
    by default the brand's default package, so every user holds it."""
    pkg = admin.ok("POST", "v1/packages", {"code": code, "name": code.title(),
                                           "isDefault": default})
    features = admin.ok("GET", "v1/features")["items"]
    feature = next((f for f in features if f["code"] == feature_code), None) or admin.ok(
        "POST", "v1/features", {"code": feature_code, "name": "Devices"})
    link = ({"featureId": feature["id"], "type": "Limitation", "isUnlimited": True}
            if limit is None else
            {"featureId": feature["id"], "type": "Limitation", "value": limit})
    admin.ok("POST", f"v1/packages/{pkg['id']}/features", [link, *extra_features])
    return pkg


def user_id_of(api: Api) -> str:
    return api.ok("GET", "v1/users/me")["id"]
