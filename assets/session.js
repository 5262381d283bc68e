// When the session has ended (idle timeout, logout elsewhere, a revoked wall token), the next callback is
// refused with 401: go to the login page (which comes back here) instead of a page that silently stops.
(function () {
  var send = window.fetch;
  window.fetch = function () {
    return send.apply(this, arguments).then(function (response) {
      if (response.status === 401 && String(response.url).indexOf("/_dash-") !== -1) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      }
      return response;
    });
  };
})();
