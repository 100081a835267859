#include "app/collab_routes.hpp"

#include "auth/policy.hpp"

namespace agora::app {

void add_collab_routes(http::Router& router, collab::Service& service) {
  // Anyone may open the socket; each document on it is authorised by its token, or the session
  // cookie of a browser on Agora's own pages, and the person's role (collab::Service), which is
  // where auth::Policy is asked. The upgrade runs on a worker so the session can be looked up.
  const http::RouteOptions options{.action = std::string(auth::kCollabConnect), .blocking = true};
  router.websocket("/collab/ws/{document_id}", service.y_websocket_handler(), options);
  router.websocket("/collab/ws", service.hocuspocus_handler(), options);
}

}  // namespace agora::app
