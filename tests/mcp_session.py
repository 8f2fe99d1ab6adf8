"""
A client of Sentry's MCP server over stdio, on the test's reactor: JSON-RPC 2.0 messages, one per
line, as the Model Context Protocol's stdio transport frames them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.error import ProcessExitedAlready
from twisted.internet.protocol import ProcessProtocol
from twisted.python.failure import Failure

PROTOCOL_VERSION = "2025-06-18"
CALL_TIMEOUT = 60
# The tools the server lists by name; every other tool is reached through execute_sentry_tool.
LISTED_TOOLS = frozenset({"find_organizations", "find_projects", "update_issue", "search_events",
                          "analyze_issue_with_seer", "search_issues", "get_sentry_resource",
                          "search_sentry_tools", "execute_sentry_tool"})


class ServerError(Exception):
    """
    The MCP server answered a request with a JSON-RPC error.
    """


class McpSession(ProcessProtocol):
    """
    One MCP server child process and the requests waiting for its answers.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._waiting: dict[int, Deferred[dict[str, Any]]] = {}
        self._last_id = 0
        self.stderr = bytearray()
        self.ended: Deferred[None] = Deferred()

    def outReceived(self, data: bytes) -> None:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self._dispatch(json.loads(line))

    def errReceived(self, data: bytes) -> None:
        self.stderr += data

    def processEnded(self, reason: Failure) -> None:
        waiting, self._waiting = self._waiting, {}
        for answer in waiting.values():
            answer.errback(ServerError(f"the MCP server exited: {reason.value}\n"
                                       f"{self.stderr.decode(errors='replace')}"))
        self.ended.callback(None)

    def _dispatch(self, message: dict[str, Any]) -> None:
        answer = self._waiting.pop(message.get("id"), None)
        if answer is None:
            return  # a notification or a request from the server: this client needs none
        if "error" in message:
            answer.errback(ServerError(message["error"]))
        else:
            answer.callback(message["result"])

    def _send(self, message: dict[str, Any]) -> None:
        self.transport.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")

    def request(self, method: str, params: dict[str, Any]) -> Deferred[dict[str, Any]]:
        from twisted.internet import reactor

        self._last_id += 1
        answer: Deferred[dict[str, Any]] = Deferred()
        self._waiting[self._last_id] = answer
        self._send({"id": self._last_id, "method": method, "params": params})
        return answer.addTimeout(CALL_TIMEOUT, reactor)

    async def initialize(self) -> dict[str, Any]:
        started = await self.request("initialize", {
            "protocolVersion": PROTOCOL_VERSION, "capabilities": {},
            "clientInfo": {"name": "sentry-fake-tests", "version": "1"}})
        self._send({"method": "notifications/initialized"})
        return started

    async def tool(self, name: str, /, **arguments: Any) -> tuple[bool, str]:
        """
        Call tool C{name}; its error flag and the text of its answer.
        """
        if name not in LISTED_TOOLS:
            arguments, name = {"name": name, "arguments": arguments}, "execute_sentry_tool"
        result = await self.request("tools/call", {"name": name, "arguments": arguments})
        text = "\n".join(part.get("text", "") for part in result.get("content", []))
        return bool(result.get("isError")), text

    async def close(self) -> None:
        self.transport.closeStdin()
        try:
            self.transport.signalProcess("TERM")
        except ProcessExitedAlready:
            pass
        await self.ended


def spawn(node: str, script: str, arguments: Sequence[str], environment: dict[str, str],
          path: str) -> McpSession:
    from twisted.internet import reactor

    session = McpSession()
    reactor.spawnProcess(session, node, [node, script, *arguments], env=environment, path=path)
    return session

