"""A Talkdesk bridge in Python's standard library, for bridge-conformance's tests: a bridge not written with the
framework, as a Python or Node team would write one. It serves an in-memory help desk ("pydesk") at paths of its own
(under /talkdesk/), declared in the configuration documents it serves at GET /configuration.

    python3 bridge.py [--variant NAME]

It listens on 127.0.0.1 on a free port and prints `listening on PORT` once it does. `--variant` breaks one thing,
so that the tests can show that bridge-conformance fails the check it breaks (see VARIANTS).
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT, TOKEN = "acme", "py-secret-7f3a"
PAGE_SIZE = 10
CHECKPOINT = "2024-03-01 12:00:00 UTC"


def make_contacts(count):
    return [
        {"id": str(n), "name": f"Customer {n}", "emails": [f"customer{n}@example.com"], "phones": [f"+1555000{n:04d}"]}
        for n in range(1, count + 1)
    ]


CONTACTS = make_contacts(25)
# The variants whose help desk has 300 customers, one of them (250, found by phone only) with tickets, or none.
SPARSE = {"sparse": "250", "without_interactions": None}
AGENTS = [{"id": str(n), "name": f"Agent {n}", "email": f"agent{n}@example.com"} for n in range(1, 6)]

# What each variant breaks, and so the check it must fail.
VARIANTS = {
    "correct": "nothing",
    "sparse": "nothing, but 1 customer in 300 has interactions, found by phone only (a correct bridge)",
    "without_interactions": "nothing, but no customer of 300 has interactions (a correct bridge)",
    "action_200": "an action that ran answers 200, not 201",
    "contact_without_name": "contact 3 has no name",
    "offset_loop": "the contact sync's second page points back at the first",
    "checkpoint_backwards": "the incremental sync answers a checkpoint before the one it started from",
    "iso_dates": "interaction dates in ISO 8601, not YYYY-MM-DD HH:MM:SS UTC",
    "ignores_types": "interactions of every type, whatever meta.interaction_types asks",
    "duplicate_agents": "agent 1 twice",
    "rejects_with_400": "auth validation answers 400, not 401, to wrong credentials",
    "swallows_401": "the contact sync answers 200 with no contacts to wrong credentials",
    "text_errors": "errors as text/plain",
    "agent_path_404": "the agent sync is declared at a path nothing answers on",
    "bad_documents": "the integration's document lacks display_name and misspells interaction_types",
    "no_configuration": "no GET /configuration (the documents are given to the tool as files)",
}


def documents(base, variant):
    integration = {
        "name": "pydesk",
        "display_name": "PyDesk",
        "description": "A help desk, bridged in Python.",
        "logo_url": "https://example.com/pydesk.png",
        "icon_url": "https://example.com/pydesk_icon.png",
        "authentication_type": "custom",
        "authentication_configuration": [
            {"account": {"source": "input", "display": "Account", "mandatory": True, "type": "input", "store": True}},
            {"token": {"source": "input", "display": "API token", "mandatory": True, "type": "input", "store": True}},
        ],
        "auth_validation_endpoint": f"{base}/talkdesk/auth",
        "contact_synchronization_endpoint": f"{base}/talkdesk/contacts",
        "interaction_retrieval_endpoint": f"{base}/talkdesk/interactions",
        "agent_synchronization_endpoint": f"{base}/talkdesk/agents",
        "interaction_types": ["ticket", "comment"],
    }
    if variant == "agent_path_404":
        integration["agent_synchronization_endpoint"] = f"{base}/talkdesk/agent_sync"
    if variant == "bad_documents":
        del integration["display_name"]
        integration["interaction_type"] = integration.pop("interaction_types")
    action = {
        "provider": "pydesk",
        "name": "create_ticket",
        "display": "create a ticket",
        "description": "create a new ticket in PyDesk",
        "endpoint": f"{base}/talkdesk/actions/create_ticket",
        "inputs": [
            {"key": "subject", "name": "Ticket subject", "mandatory": True},
            {"key": "description", "name": "Ticket description", "mandatory": False},
        ],
    }
    return {"integration": integration, "actions": [action]}


def interactions(contact_id, variant):
    n = int(contact_id)
    found = []
    for i, kind in enumerate(["ticket", "comment"]):
        date = f"2024-02-{n % 28 + 1:02d} 0{i}:30:00 UTC"
        if variant == "iso_dates":
            date = f"2024-02-{n % 28 + 1:02d}T0{i}:30:00Z"
        found.append({
            "id": f"{kind}-{n}",
            "subject": f"{kind.capitalize()} of customer {n}",
            "type": kind,
            "date": date,
            "status": "open",
            "priority": "normal",
            "url": f"https://pydesk.example.com/{kind}s/{n}",
        })
    return found


class Handler(BaseHTTPRequestHandler):
    variant = "correct"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None, content_type="application/json"):
        if self.variant == "text_errors" and status >= 400:
            content_type = "text/plain"
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/configuration" and self.variant != "no_configuration":
            return self.answer(200, documents(f"http://{self.headers['Host']}", self.variant))
        self.answer(404, {"message": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            envelope = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self.answer(400, {"message": "the body is not JSON"})
        auth = envelope.get("auth") or {}
        meta = envelope.get("meta") or {}
        data = envelope.get("data") or {}
        path = self.path
        known = ["/talkdesk/auth", "/talkdesk/contacts", "/talkdesk/interactions", "/talkdesk/agents",
                 "/talkdesk/actions/create_ticket"]
        if path not in known:
            return self.answer(404, {"message": "not found"})
        if auth.get("account") != ACCOUNT or auth.get("token") != TOKEN:
            if path == "/talkdesk/auth" and self.variant == "rejects_with_400":
                return self.answer(400, {"message": "wrong credentials"})
            if path == "/talkdesk/contacts" and self.variant == "swallows_401":
                return self.answer(200, {"contacts": [], "synchronization_checkpoint": CHECKPOINT})
            return self.answer(401, {"message": "PyDesk rejected the credentials"})

        if path == "/talkdesk/auth":
            return self.answer(204)
        if path == "/talkdesk/contacts":
            if meta.get("synchronization_checkpoint"):
                checkpoint = meta["synchronization_checkpoint"]
                if self.variant == "checkpoint_backwards":
                    checkpoint = "2020-01-01 00:00:00 UTC"
                return self.answer(200, {"contacts": [], "synchronization_checkpoint": checkpoint})
            offset = int(meta.get("offset") or 0)
            page = [dict(c) for c in CONTACTS[offset:offset + PAGE_SIZE]]
            if self.variant == "contact_without_name":
                for contact in page:
                    if contact["id"] == "3":
                        del contact["name"]
            body = {"contacts": page, "synchronization_checkpoint": CHECKPOINT}
            if offset + PAGE_SIZE < len(CONTACTS):
                body["next_offset"] = str(offset + PAGE_SIZE)
                if self.variant == "offset_loop" and offset > 0:
                    body["next_offset"] = str(offset)
            return self.answer(200, body)
        if path == "/talkdesk/interactions" and self.variant in SPARSE:
            phones = data.get("contact_phones") or []
            found = [c["id"] for c in CONTACTS if c["id"] == SPARSE[self.variant] and set(c["phones"]) & set(phones)]
            types = meta.get("interaction_types") or []
            return self.answer(200, [i for c in found for i in interactions(c, self.variant) if i["type"] in types])
        if path == "/talkdesk/interactions":
            contact_id = data.get("contact_external_id")
            if contact_id is None:
                email = (data.get("contact_emails") or [None])[0]
                contact_id = next((c["id"] for c in CONTACTS if email in c["emails"]), None)
            if contact_id is None or not str(contact_id).isdigit():
                return self.answer(200, [])
            found = interactions(contact_id, self.variant)
            types = meta.get("interaction_types") or []
            if self.variant != "ignores_types":
                found = [i for i in found if i["type"] in types]
            return self.answer(200, found)
        if path == "/talkdesk/agents":
            offset = int(meta.get("offset") or 0)
            agents = AGENTS + [AGENTS[0]] if self.variant == "duplicate_agents" else AGENTS
            body = {"agents": agents[offset:offset + 2]}
            if offset + 2 < len(agents):
                body["next_offset"] = offset + 2
            return self.answer(200, body)
        # /talkdesk/actions/create_ticket
        if not isinstance(data.get("subject"), str) or not data["subject"].strip():
            return self.answer(400, {"message": "A ticket needs a subject."})
        status = 200 if self.variant == "action_200" else 201
        return self.answer(status, {"message": f"Ticket \"{data['subject']}\" created", "external_id": "T-1"})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", default="correct", choices=sorted(VARIANTS))
    args = parser.parse_args()
    Handler.variant = args.variant
    if args.variant in SPARSE:
        global CONTACTS
        CONTACTS = make_contacts(300)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
