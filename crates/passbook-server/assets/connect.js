/*
 * Passbook Connect: a drop-in for @mono.co/connect.js that opens the Connect widget of the
 * Passbook server this script is served from. Same API:
 *
 *   const connect = new Connect({ key: "test_pk_…", onSuccess: ({ code }) => …, onEvent, onClose, onLoad });
 *   connect.setup();   // optional config: { selectedInstitution: { id, auth_method } }
 *   connect.open();
 *
 * The widget posts {type, data} messages to this window; they are mapped to onEvent names the
 * way @mono.co/connect.js maps them.
 */
(function (global) {
  "use strict";
  var script = document.currentScript;
  var BASE = script ? new URL(script.src).origin : "";
  var EVENTS = {
    "mono.connect.widget_opened": "OPENED",
    "mono.connect.institution_selected": "INSTITUTION_SELECTED",
    "mono.connect.auth_method_switched": "AUTH_METHOD_SWITCHED",
    "mono.connect.login_attempt": "SUBMIT_CREDENTIALS",
    "mono.connect.mfa_submitted": "SUBMIT_MFA",
    "mono.connect.account_selected": "ACCOUNT_SELECTED",
    "mono.connect.account_linked": "ACCOUNT_LINKED",
    "mono.connect.error_occured": "ERROR",
    "mono.connect.on_exit": "EXIT",
    "mono.connect.widget.account_linked": "SUCCESS"
  };

  function Connect(config) {
    if (!config || !config.key) throw new Error("Passbook Connect: a public key is required (key: 'test_pk_…')");
    if (typeof config.onSuccess !== "function") throw new Error("Passbook Connect: onSuccess is required");
    this.config = config;
    this.iframe = null;
    this.listener = null;
  }

  Connect.prototype.url = function (extra) {
    var c = Object.assign({}, this.config, extra || {});
    var params = new URLSearchParams();
    params.set("key", c.key);
    params.set("scope", c.scope || "auth");
    params.set("version", c.version || "2023-12-14");
    params.set("referrer", global.location.href);
    if (c.reference) params.set("reference", c.reference);
    if (c.data) params.set("data", JSON.stringify(c.data));
    if (c.selectedInstitution) params.set("selectedInstitution", JSON.stringify(c.selectedInstitution));
    return BASE + "/connect?" + params.toString();
  };

  Connect.prototype.setup = function (extra) {
    var self = this;
    this.close(true);
    var iframe = document.createElement("iframe");
    iframe.src = this.url(extra);
    iframe.title = "Connect your bank account";
    iframe.id = "passbook-connect-iframe";
    iframe.setAttribute("allow", "clipboard-write; clipboard-read");
    iframe.style.cssText = "position:fixed;inset:0;width:100%;height:100%;border:0;z-index:2147483647;background:rgba(0,0,0,.4);display:none";
    // The widget moves between steps without reloading its frame; a browser without fetch
    // reloads it per step, so the callbacks are still guarded to fire once per setup.
    var loaded = false;
    iframe.onload = function () {
      if (loaded) return;
      loaded = true;
      if (typeof self.config.onLoad === "function") self.config.onLoad();
      if (typeof self.config.onEvent === "function") self.config.onEvent("LOADED", { reference: self.config.reference, timestamp: Date.now() });
    };
    this.listener = function (event) {
      if (event.origin !== BASE || !event.data || typeof event.data.type !== "string") return;
      self.handle(event.data.type, event.data.data || {});
    };
    global.addEventListener("message", this.listener);
    document.body.appendChild(iframe);
    this.iframe = iframe;
  };

  Connect.prototype.handle = function (type, data) {
    var name = EVENTS[type];
    if (name && typeof this.config.onEvent === "function") this.config.onEvent(name, data);
    if (type === "mono.connect.widget.account_linked") {
      this.config.onSuccess(data);
    } else if (type === "mono.connect.widget.closed") {
      this.close();
    }
  };

  Connect.prototype.open = function () {
    if (!this.iframe) this.setup();
    this.iframe.style.display = "block";
  };

  Connect.prototype.close = function (quiet) {
    if (this.iframe) {
      this.iframe.remove();
      this.iframe = null;
      if (!quiet && typeof this.config.onClose === "function") this.config.onClose();
    }
    if (this.listener) {
      global.removeEventListener("message", this.listener);
      this.listener = null;
    }
  };

  Connect.prototype.reauthorise = function (accountId) {
    this.setup({ data: Object.assign({}, this.config.data || {}, { account: accountId }) });
    this.open();
  };

  global.Connect = Connect;
})(window);
