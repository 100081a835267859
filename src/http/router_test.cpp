#include "http/router.hpp"

#include <gtest/gtest.h>

namespace agora::http {
namespace {

Handler says(std::string text) {
  return [text](Request&) { return Response::text(text); };
}

RouteOptions action(std::string name) { return RouteOptions{.action = std::move(name)}; }

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router router;
  router.add("GET", "/", says("home"), action("site.view"));
  router.add("GET", "/docs/{id}", says("doc"), action("doc.view"));
  router.add("GET", "/docs/{id}/versions/{version}", says("v"), action("doc.view"));

  auto m = router.match("GET", "/docs/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/docs/{id}");
  EXPECT_EQ(m.params.at("id"), "42");

  m = router.match("GET", "/docs/42/versions/7");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("version"), "7");

  EXPECT_EQ(router.match("GET", "/docs/").route, nullptr);
  EXPECT_EQ(router.match("GET", "/docs/42/extra").route, nullptr);
  EXPECT_EQ(router.match("GET", "/").route->pattern, "/");
}

TEST(Router, TailParameterTakesTheRestOfThePath) {
  Router router;
  router.add("GET", "/static/{path...}", says("s"), action("site.view"));
  auto m = router.match("GET", "/static/assets/app.css");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("path"), "assets/app.css");
  EXPECT_EQ(router.match("GET", "/static/").route, nullptr);
}

TEST(Router, WrongMethodReportsAllowedMethods) {
  Router router;
  router.add("GET", "/items", says("list"), action("a"));
  router.add("POST", "/items", says("create"), action("a"));
  auto m = router.match("DELETE", "/items");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
  EXPECT_TRUE(router.match("GET", "/nothing").allow.empty());
}

TEST(Router, HeadIsAnsweredByGet) {
  Router router;
  router.add("GET", "/items", says("list"), action("a"));
  ASSERT_NE(router.match("HEAD", "/items").route, nullptr);
}

TEST(Router, RefusesMalformedDuplicateAndUnnamedRoutes) {
  Router router;
  router.add("GET", "/a", says("a"), action("a"));
  EXPECT_THROW(router.add("GET", "/a", says("a"), action("a")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "no-slash", says("a"), action("a")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/x/{bad", says("a"), action("a")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/x/{rest...}/y", says("a"), action("a")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/b", says("b"), RouteOptions{}), std::invalid_argument);
}

TEST(Router, MiddlewareRunsOutermostFirstAndCanAnswerItself) {
  Router router;
  std::string order;
  router.use([&](Request& r, const Next& next) {
    order += "1";
    Response resp = next(r);
    order += "1";
    return resp;
  });
  router.use([&](Request& r, const Next& next) {
    order += "2";
    if (r.path == "/deny") return Response::text("no", 403);
    return next(r);
  });
  Request ok;
  ok.path = "/ok";
  EXPECT_EQ(router.dispatch(ok, says("handled")).body, "handled");
  EXPECT_EQ(order, "121");
  Request deny;
  deny.path = "/deny";
  EXPECT_EQ(router.dispatch(deny, says("handled")).status, 403);
}

}  // namespace
}  // namespace agora::http
