# A small but real MCP stdio server (newline-delimited JSON-RPC 2.0) for the edge's tests.
# Tools: echo {text}; where {} (its working directory, uid and whether it can see the host's
# /work); boom {} (reports a tool error). It refuses tools/* before notifications/initialized.
import json, os, sys

initialized = False


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def reply(id, result):
    send({"jsonrpc": "2.0", "id": id, "result": result})


def error(id, code, message):
    send({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})


TOOLS = [
    {"name": "echo", "description": "Echo the text back",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}},
                     "required": ["text"]}},
    {"name": "where", "description": "Where this server runs",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "boom", "description": "Always fails", "inputSchema": {"type": "object"}},
]

for line in sys.stdin:
    msg = json.loads(line)
    method, id = msg.get("method"), msg.get("id")
    if method == "initialize":
        reply(id, {"protocolVersion": msg["params"]["protocolVersion"],
                   "capabilities": {"tools": {}},
                   "serverInfo": {"name": "fixture-stdio", "version": "1"}})
    elif method == "notifications/initialized":
        initialized = True
    elif not initialized:
        error(id, -32002, "not initialized")
    elif method == "tools/list":
        reply(id, {"tools": TOOLS})
    elif method == "tools/call":
        name, args = msg["params"]["name"], msg["params"].get("arguments") or {}
        send({"jsonrpc": "2.0", "method": "notifications/message",
              "params": {"level": "info", "data": "calling " + name}})
        if name == "echo":
            reply(id, {"content": [{"type": "text", "text": "echo: " + args["text"]}]})
        elif name == "where":
            reply(id, {"content": [{"type": "text", "text": json.dumps(
                {"cwd": os.getcwd(), "uid": os.getuid(), "sees_host_work": os.path.exists("/work/wt")})}]})
        elif name == "boom":
            reply(id, {"content": [{"type": "text", "text": "boom failed on purpose"}],
                       "isError": True})
        else:
            error(id, -32602, "Unknown tool: " + name)
    elif id is not None:
        error(id, -32601, "Method not found: " + method)
