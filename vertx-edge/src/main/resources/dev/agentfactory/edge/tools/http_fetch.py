# http.fetch, run inside the sandbox by the edge: one HTTP request through the sandbox's egress
# proxy (urllib takes HTTP_PROXY/HTTPS_PROXY from the environment the sandbox sets), answered as
# one JSON object on stdout. The request arrives as JSON in AF_FETCH.
import json, os, sys, urllib.error, urllib.request

a = json.loads(os.environ["AF_FETCH"])
cap = int(a["max_bytes"])


def answer(obj):
    sys.stdout.write(json.dumps(obj))
    sys.stdout.flush()
    sys.exit(0)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


data = a["body"].encode("utf-8") if a.get("body") is not None else None
req = urllib.request.Request(a["url"], data=data, method=a["method"], headers=a.get("headers") or {})
opener = urllib.request.build_opener(NoRedirect)
proxied = bool(urllib.request.getproxies())
try:
    resp = opener.open(req, timeout=float(a["timeout_s"]))
except urllib.error.HTTPError as e:
    resp = e
except urllib.error.URLError as e:
    reason = str(e.reason)
    if "Tunnel connection failed" in reason:
        answer({"error": "egress denied by the sandbox proxy (" + reason + ")", "denied": True})
    if not proxied:
        reason += " (this sandbox has no egress proxy: the agent's network allowlist is empty)"
    answer({"error": reason})
except Exception as e:  # a timeout, a reset, a bad URL
    answer({"error": type(e).__name__ + ": " + str(e)})

try:
    body = resp.read(cap + 1)
except Exception as e:
    answer({"error": "reading the body failed: " + type(e).__name__ + ": " + str(e)})
headers = {k.lower(): v for k, v in resp.headers.items()}
# the sandbox's egress proxy refuses plain-HTTP requests itself: 403, "egress denied: <reason>"
denied = proxied and resp.status == 403 and body.startswith(b"egress denied:")
answer({
    "status": resp.status,
    "reason": resp.reason,
    "headers": headers,
    "body": body[:cap].decode("utf-8", "replace"),
    "truncated": len(body) > cap,
    "denied": denied,
})
