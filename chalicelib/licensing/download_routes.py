"""Package files and download link routes (our design: digital downloads). Data only.

``GET v1/downloads/{token}`` takes no Brand-URL: the link is clicked in a mail, and the token
names its brand (downloads.py).
"""

from chalicelib.http.routing import Q, Route

H = "chalicelib.licensing.download_api:"
S = "chalicelib.licensing.device_schemas:"
FILES = "/api/v1/packages/{packageId}/files"

ROUTES = [
    Route("POST", FILES, H + "add_file",
          "Add a file to a package: inline (contentBase64, at most 180 KiB) or through the "
          "presigned upload URL of the reply", permission="PACKAGE.UPDATE",
          body=S + "PackageFileBody", tag="Downloads"),
    Route("GET", FILES, H + "list_files", "A package's files", permission="PACKAGE.READ",
          returns="array", tag="Downloads"),
    Route("DELETE", FILES + "/{fileId}", H + "delete_file",
          "Remove a file from a package (links already granted keep working)",
          permission="PACKAGE.UPDATE", returns="boolean", tag="Downloads"),
    Route("GET", "/api/v1/downloads", H + "my_downloads",
          "The caller's download links (with DOWNLOAD.READ, another user's)", returns="array",
          tag="Downloads", query=(Q("userId"),)),
    Route("GET", "/api/v1/downloads/{token}", H + "download",
          "Use a download link: counts one download and redirects (302) to the file",
          auth="none", brand=False, returns="redirect", status=302, tag="Downloads",
          answers=(410,)),  # withdrawn, expired or used up
]
