/*
 * Stripe.js for the local stack: the calls the hosted checkout page makes (Stripe(pk),
 * elements().create("card").mount(selector), confirmCardPayment(clientSecret,
 * {payment_method: {card}})), made against localstripe's REST API as Stripe.js makes them
 * against Stripe's: the card typed is the card paid with. Served by
 * GET /api/checkout/assets/stripe-local.js?api=<localstripe base> on local stages only
 * (checkout/start.py stripe_js_url). The page's Content-Security-Policy blocks style
 * attributes and <style> tags: every style is set through element.style.
 */
(function () {
  "use strict";
  var API = new URL(document.currentScript.src).searchParams.get("api").replace(/\/+$/, "");
  var AUTH_FAILED = "We are unable to authenticate your payment method. Please choose a " +
    "different payment method and try again.";
  var uid = 0;

  function css(el, styles) {
    Object.keys(styles).forEach(function (k) { el.style[k] = styles[k]; });
    return el;
  }

  function make(tag, attrs, styles) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    return css(el, styles || {});
  }

  function field(label, attrs) {
    var id = "stripe-local-" + (++uid);
    var box = make("div", {}, {flex: "1 1 8rem", minWidth: "0", marginBottom: ".5rem"});
    var lab = make("label", {"for": id}, {display: "block", fontSize: ".85rem",
                                          marginBottom: ".25rem"});
    lab.textContent = label;
    var input = make("input", Object.assign({id: id, type: "text", inputmode: "numeric",
                                             spellcheck: "false"}, attrs),
                     {display: "block", width: "100%", boxSizing: "border-box",
                      fontSize: "1rem", padding: ".5rem", border: "1px solid #bbb",
                      borderRadius: "4px"});
    box.appendChild(lab);
    box.appendChild(input);
    return {box: box, input: input};
  }

  function CardElement() { this.inputs = null; }

  CardElement.prototype.mount = function (target) {
    var where = typeof target === "string" ? document.querySelector(target) : target;
    if (!where) { throw new Error("Invalid DOM element: " + target); }
    var number = field("Card number", {autocomplete: "cc-number", placeholder: "1234 1234 1234 1234"});
    var expiry = field("Expiry (MM/YY)", {autocomplete: "cc-exp", placeholder: "MM/YY"});
    var cvc = field("CVC", {autocomplete: "cc-csc", placeholder: "123"});
    var row = make("div", {}, {display: "flex", flexWrap: "wrap", gap: ".75rem"});
    row.appendChild(expiry.box);
    row.appendChild(cvc.box);
    where.appendChild(number.box);
    where.appendChild(row);
    this.inputs = {number: number.input, expiry: expiry.input, cvc: cvc.input};
  };

  function invalid(code, message) {
    return {error: {type: "validation_error", code: code, message: message}};
  }

  // The card as Stripe's API takes it, or Stripe.js's validation error.
  function readCard(element) {
    if (!element || !element.inputs) {
      return invalid("incomplete_number", "Your card number is incomplete.");
    }
    var number = element.inputs.number.value.replace(/\D/g, "");
    var exp = element.inputs.expiry.value.replace(/\s/g, "").match(/^(\d{1,2})\/?(\d{2})$/);
    var cvc = element.inputs.cvc.value.replace(/\D/g, "");
    if (number.length !== 16) {
      return invalid("incomplete_number", "Your card number is incomplete.");
    }
    if (!exp || +exp[1] < 1 || +exp[1] > 12) {
      return invalid("incomplete_expiry", "Your card's expiration date is incomplete.");
    }
    var month = +exp[1], year = 2000 + +exp[2], now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return invalid("invalid_expiry_year_past", "Your card's expiration date is in the past.");
    }
    if (cvc.length !== 3) {
      return invalid("incomplete_cvc", "Your card's security code is incomplete.");
    }
    return {card: {number: number, exp_month: String(month), exp_year: String(year), cvc: cvc}};
  }

  function post(path, fields) {
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(API + path, {method: "POST", body: body}).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok || json.error) {
          var error = json.error || {};
          throw {error: Object.assign({type: "api_error",
                                       message: "The payment could not be processed."}, error)};
        }
        return json;
      });
    });
  }

  // Stripe's 3-D Secure challenge, as localstripe offers it: complete or fail.
  function challenge() {
    return new Promise(function (resolve) {
      var shade = make("div", {}, {position: "fixed", inset: "0", background: "rgba(0,0,0,.4)",
                                   display: "flex", alignItems: "center",
                                   justifyContent: "center", padding: "1rem", zIndex: "1000"});
      var box = make("div", {role: "dialog", "aria-modal": "true",
                             "aria-labelledby": "stripe-local-3ds"},
                     {background: "#fff", borderRadius: "8px", padding: "1.25rem",
                      maxWidth: "22rem", width: "100%", textAlign: "center"});
      var title = make("h2", {id: "stripe-local-3ds"}, {fontSize: "1.1rem", marginTop: "0"});
      title.textContent = "3D Secure";
      var text = make("p");
      text.textContent = "Your bank asks you to authenticate this payment (test card).";
      box.appendChild(title);
      box.appendChild(text);
      [["Complete authentication", true], ["Fail authentication", false]].forEach(function (b) {
        var button = make("button", {type: "button"}, {margin: ".25rem", display: "inline-block"});
        button.textContent = b[0];
        button.addEventListener("click", function () {
          document.body.removeChild(shade);
          resolve(b[1]);
        });
        box.appendChild(button);
      });
      shade.appendChild(box);
      document.body.appendChild(shade);
      box.querySelector("button").focus();
    });
  }

  // What confirmCardPayment resolves with for a PaymentIntent the API answered.
  function outcome(pi) {
    if (pi.status === "succeeded" || pi.status === "processing" ||
        pi.status === "requires_capture") {
      return {paymentIntent: pi};
    }
    var last = pi.last_payment_error || {};
    return {error: {type: last.type || "card_error", code: last.code,
                    decline_code: last.decline_code,
                    message: last.message || "The payment did not go through.",
                    payment_intent: pi}};
  }

  window.Stripe = function (publishableKey) {
    return {
      elements: function () {
        return {create: function () { return new CardElement(); }};
      },
      confirmCardPayment: function (clientSecret, data) {
        var read = readCard(data && data.payment_method && data.payment_method.card);
        if (read.error) { return Promise.resolve(read); }
        var pi = clientSecret.split("_secret_")[0];
        var card = read.card;
        return post("/v1/payment_methods", {
          key: publishableKey, type: "card", "card[number]": card.number,
          "card[exp_month]": card.exp_month, "card[exp_year]": card.exp_year,
          "card[cvc]": card.cvc
        }).then(function (pm) {
          return post("/v1/payment_intents/" + pi + "/confirm",
                      {key: publishableKey, client_secret: clientSecret,
                       payment_method: pm.id});
        }).then(function (intent) {
          if (intent.status !== "requires_action") { return outcome(intent); }
          return challenge().then(function (success) {
            return post("/v1/payment_intents/" + pi + "/_authenticate?success=" + success,
                        {key: publishableKey, client_secret: clientSecret});
          }).then(function (after) {
            if (after.status === "requires_payment_method" && !after.last_payment_error) {
              after.last_payment_error = {type: "invalid_request_error",
                                          code: "payment_intent_authentication_failure",
                                          message: AUTH_FAILED};
            }
            return outcome(after);
          });
        }).catch(function (failed) {
          if (failed && failed.error) { return failed; }
          return {error: {type: "api_connection_error",
                          message: "We could not reach the payment provider. Try again."}};
        });
      }
    };
  };
})();
