#pragma once
// The collaboration endpoints: y-websocket at /collab/ws/{document_id} and Hocuspocus at
// /collab/ws.

#include "collab/service.hpp"
#include "http/router.hpp"

namespace agora::app {

/// Adds the collaboration WebSocket routes; `service` must outlive the router.
void add_collab_routes(http::Router& router, collab::Service& service);

}  // namespace agora::app
