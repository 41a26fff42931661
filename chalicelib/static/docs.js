// Starts Swagger UI on the docs page (chalicelib/apidocs.py). Served as an asset from this
// origin, so the page's Content-Security-Policy needs no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  var specUrl = root.getAttribute("data-openapi-url");
  window.ui = SwaggerUIBundle({
    url: specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    tryItOutEnabled: false,
    // Swagger UI 4 renders OpenAPI 3.0 only: label the fetched 3.1 document 3.0.3 for the page.
    responseInterceptor: function (res) {
      if (res && res.url && res.url.indexOf("openapi.json") !== -1 && res.body &&
          typeof res.body.openapi === "string" && res.body.openapi.indexOf("3.1") === 0) {
        res.body.openapi = "3.0.3";
        res.text = JSON.stringify(res.body);
        res.data = res.text;
      }
      return res;
    },
  });
})();
