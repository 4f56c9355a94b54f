"""Live views over WebSockets and chunked HTTP: the edge's side of the streaming service.

Per edge replica, one :class:`~oneclick_edge.live.feed.NamespaceFeed` per watched namespace mirrors the
namespace's objects from the live subjects and fans each change out to every connection that views it,
through a bounded per-connection queue (:mod:`oneclick_edge.live.queues`), so a slow client never holds up the
others. The :class:`~oneclick_edge.live.hub.LiveHub` counts viewers and tells streaming what is watched.
"""
