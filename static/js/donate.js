/* The payment page: Stripe's Payment Element, a payment method made in the browser, and our server
   creating and confirming the PaymentIntent (CNY). With localstripe's test Stripe.js, which has no
   Payment Element, the same steps run through its card element and a token. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var d = form.dataset;
  var stripe = Stripe(d.key);
  var elements = stripe.elements({mode: "payment", amount: parseInt(d.amount, 10), currency: "cny",
                                  paymentMethodCreation: "manual", paymentMethodTypes: ["card"]});
  var element = elements.create("payment");
  element.mount("#payment-element");
  var message = document.getElementById("payment-message");
  var button = document.getElementById("pay-button");

  function fail(text) { message.textContent = text || d.errorGeneric; button.disabled = false; }

  async function paymentMethod() {
    if (typeof stripe.confirmPayment === "function") {  // the real Stripe.js
      var submitted = await elements.submit();
      if (submitted.error) { throw submitted.error; }
      var made = await stripe.createPaymentMethod({elements: elements});
      if (made.error) { throw made.error; }
      return made.paymentMethod.id;
    }
    var tokenised = await stripe.createToken(element);  // localstripe's test Stripe.js
    if (tokenised.error) { throw tokenised.error; }
    return tokenised.token.card.id;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    try {
      var pm = await paymentMethod();
      var response = await fetch(d.payUrl, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": d.csrf},
        body: JSON.stringify({payment_method: pm})});
      var body = await response.json();
      if (!response.ok) { return fail(body.error); }
      if (body.status === "requires_action" && stripe.handleNextAction) {
        var handled = await stripe.handleNextAction({clientSecret: body.client_secret});
        if (handled.error) { return fail(handled.error.message); }
      }
      window.location.assign(body.next);
    } catch (error) {
      fail(error && error.message);
    }
  });
})();
