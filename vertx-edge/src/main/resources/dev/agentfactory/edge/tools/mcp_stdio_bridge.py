# The MCP stdio bridge, run inside the sandbox by the edge for one exchange with a stdio MCP
# server: it starts the server (argv), writes the JSON-RPC messages of AF_MCP_MESSAGES one per
# line, waits for the response to each request before writing the next, and prints every
# response as one line on stdout. Requests from the server are declined; notifications skipped.
# Then it closes the server's stdin and waits for it (killing it after 2 s).
import json, os, queue, subprocess, sys, threading, time

messages = json.loads(os.environ.pop("AF_MCP_MESSAGES"))
deadline = time.monotonic() + float(os.environ.pop("AF_MCP_TIMEOUT_S"))
try:
    server = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
except OSError as e:
    sys.stderr.write("cannot start the MCP server %s: %s\n" % (sys.argv[1:], e))
    sys.exit(127)

lines = queue.Queue()


def pump():
    for line in server.stdout:
        lines.put(line)
    lines.put(None)


threading.Thread(target=pump, daemon=True).start()


def fail(why):
    sys.stderr.write(why + "\n")
    server.kill()
    sys.exit(3)


def send(message):
    try:
        server.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
        server.stdin.flush()
    except (BrokenPipeError, OSError):
        fail("the MCP server stopped reading (exit code %s)" % server.poll())


for message in messages:
    send(message)
    if "id" not in message:
        continue
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            fail("the MCP server did not answer %s in time" % message["method"])
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            fail("the MCP server did not answer %s in time" % message["method"])
        if line is None:
            fail("the MCP server exited (code %s) before answering %s"
                 % (server.wait(), message["method"]))
        line = line.strip()
        if not line:
            continue
        try:
            answer = json.loads(line)
        except ValueError:
            fail("the MCP server wrote a line that is not JSON: %r" % line[:200])
        if isinstance(answer, dict) and "method" in answer:
            if "id" in answer:
                send({"jsonrpc": "2.0", "id": answer["id"],
                      "error": {"code": -32601, "message": "not supported by this client"}})
            continue
        if isinstance(answer, dict) and answer.get("id") == message["id"]:
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
            break

try:
    server.stdin.close()
except OSError:
    pass
try:
    server.wait(timeout=2)
except subprocess.TimeoutExpired:
    server.kill()
