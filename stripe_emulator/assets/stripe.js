/* The Stripe emulator's stand-in for Stripe.js v3 (https://js.stripe.com/v3/).
 *
 * The same calls as Stripe's own script, against the emulator that serves this file:
 *   Stripe(publishableKey) · stripe.elements({clientSecret, customerSessionClientSecret,
 *   appearance}) · elements.create('payment') · element.mount(selector) · element.on(event, fn)
 *   stripe.confirmPayment({elements, confirmParams: {return_url}, redirect})
 *   stripe.handleNextAction({clientSecret}) · stripe.retrievePaymentIntent(clientSecret)
 * Card details are typed into an iframe served by the emulator; this page only ever sees the
 * PaymentMethod id the frame hands back, as with Stripe.
 */
(function () {
  "use strict";
  var API = "__STRIPE_EMULATOR_API__";
  var API_ORIGIN = new URL(API).origin;
  var frameSeq = 0;

  function encode(params) {
    var body = new URLSearchParams();
    Object.keys(params).forEach(function (name) {
      if (params[name] !== undefined && params[name] !== null) body.append(name, String(params[name]));
    });
    return body.toString();
  }

  function intentId(clientSecret) {
    return String(clientSecret || "").split("_secret_")[0];
  }

  function never() {
    return new Promise(function () {});
  }

  function integrationError(message) {
    return { error: { type: "invalid_request_error", code: "integration_error", message: message } };
  }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== "string" || publishableKey.indexOf("pk_") !== 0) {
      throw new Error("Stripe(): pass your publishable key (pk_test_...).");
    }
    this._key = publishableKey;
    this._options = options || {};
  }

  Stripe.prototype._api = function (method, path, params) {
    var query = encode(Object.assign({ key: this._key }, params));
    var init = { method: method, headers: {} };
    var url = API + path;
    if (method === "GET") {
      url += "?" + query;
    } else {
      init.body = query;
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    if (this._options.stripeAccount) init.headers["Stripe-Account"] = this._options.stripeAccount;
    return fetch(url, init).then(
      function (response) { return response.json(); },
      function () { return { error: { type: "api_connection_error", message: "We could not reach the payment provider. Check your connection and try again." } }; }
    );
  };

  Stripe.prototype.elements = function (options) {
    options = options || {};
    if (!options.clientSecret) throw new Error("stripe.elements(): clientSecret is required.");
    return new Elements(this, options);
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    return this._api("GET", "/v1/payment_intents/" + intentId(clientSecret), { client_secret: clientSecret })
      .then(function (body) { return body.error ? { error: body.error } : { paymentIntent: body }; });
  };

  Stripe.prototype._afterConfirm = function (intent, returnUrl, redirect) {
    var action = intent.next_action;
    if (intent.status === "requires_action" && action && action.redirect_to_url) {
      window.location.assign(action.redirect_to_url.url);
      return never();
    }
    if (redirect === "if_required" || !returnUrl) return { paymentIntent: intent };
    var target = new URL(returnUrl, window.location.href);
    var succeeded = intent.status === "succeeded" || intent.status === "requires_capture";
    target.searchParams.set("payment_intent", intent.id);
    target.searchParams.set("payment_intent_client_secret", intent.client_secret);
    target.searchParams.set("redirect_status", succeeded ? "succeeded" : intent.status === "processing" ? "processing" : "failed");
    window.location.assign(target.toString());
    return never();
  };

  Stripe.prototype.confirmPayment = function (options) {
    var stripe = this;
    options = options || {};
    var elements = options.elements;
    var confirmParams = options.confirmParams || {};
    var redirect = options.redirect || "always";
    if (!elements || !elements._payment || !elements._payment._frame) {
      return Promise.resolve(integrationError("confirmPayment(): mount a Payment Element first."));
    }
    if (redirect === "always" && !confirmParams.return_url) {
      return Promise.resolve(integrationError("confirmPayment(): confirmParams.return_url is required."));
    }
    var clientSecret = elements._options.clientSecret;
    return elements._payment._collect().then(function (collected) {
      if (collected.error) return { error: collected.error };
      var params = { client_secret: clientSecret, payment_method: collected.payment_method, use_stripe_sdk: "true" };
      if (confirmParams.return_url) params.return_url = confirmParams.return_url;
      if (collected.save) params.setup_future_usage = "off_session";
      return stripe._api("POST", "/v1/payment_intents/" + intentId(clientSecret) + "/confirm", params)
        .then(function (body) {
          if (body.error) return { error: body.error };
          return stripe._afterConfirm(body, confirmParams.return_url, redirect);
        });
    });
  };

  Stripe.prototype.handleNextAction = function (options) {
    return this.retrievePaymentIntent((options || {}).clientSecret).then(function (result) {
      if (result.error) return result;
      var intent = result.paymentIntent;
      if (intent.status === "requires_action" && intent.next_action && intent.next_action.redirect_to_url) {
        window.location.assign(intent.next_action.redirect_to_url.url);
        return never();
      }
      return { paymentIntent: intent };
    });
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = options;
    this._payment = null;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "payment") throw new Error("The emulator's Stripe.js offers the Payment Element only ('payment').");
    this._payment = new PaymentElement(this, options || {});
    return this._payment;
  };

  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._payment : null;
  };

  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options;
    this._frame = null;
    this._handlers = {};
    this._pending = {};
    this._seq = 0;
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype._emit = function (event, value) {
    (this._handlers[event] || []).forEach(function (handler) { handler(value); });
  };

  PaymentElement.prototype.mount = function (target) {
    var host = typeof target === "string" ? document.querySelector(target) : target;
    if (!host) throw new Error("element.mount(): no element matches " + target);
    var options = this._elements._options;
    var query = {
      client_secret: options.clientSecret,
      key: this._elements._stripe._key,
      customer_session: options.customerSessionClientSecret,
      parent: window.location.origin,
    };
    var frame = document.createElement("iframe");
    frame.name = "__privateStripeFrame" + (++frameSeq);
    frame.title = "Secure payment input frame";
    frame.setAttribute("allow", "payment");
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = "320px";
    frame.src = API + "/_emulator/elements/payment?" + encode(query);
    host.appendChild(frame);
    this._frame = frame;
    var element = this;
    window.addEventListener("message", function (event) {
      if (event.origin !== API_ORIGIN || event.source !== frame.contentWindow) return;
      var message = event.data || {};
      if (message.type === "resize") frame.style.height = message.height + "px";
      if (message.type === "ready") element._emit("ready", { elementType: "payment" });
      if (message.type === "change") element._emit("change", message.value);
      if (message.type === "collected" && element._pending[message.id]) {
        var resolve = element._pending[message.id];
        delete element._pending[message.id];
        resolve(message.result);
      }
    });
    return this;
  };

  PaymentElement.prototype._collect = function () {
    var element = this;
    return new Promise(function (resolve) {
      var id = ++element._seq;
      element._pending[id] = resolve;
      element._frame.contentWindow.postMessage({ type: "collect", id: id }, API_ORIGIN);
    });
  };

  window.Stripe = Stripe;
})();
