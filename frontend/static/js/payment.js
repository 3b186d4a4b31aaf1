// The order's payment page: mounts Stripe's Payment Element and confirms the order's
// PaymentIntent with Stripe.js (loaded before this module from STRIPE_JS_URL). The amount is
// the server's (the PaymentIntent's); this page only collects the card through Stripe's frame.
const form = document.getElementById("payment-form");

function showMessage(text) {
  const box = document.getElementById("payment-message");
  box.textContent = text;
  box.hidden = !text;
}

if (form) {
  const button = document.getElementById("pay-button");
  const payLabel = button.textContent;
  const { publishableKey, clientSecret, customerSession, returnUrl } = form.dataset;
  if (typeof window.Stripe !== "function") {
    showMessage(form.dataset.unavailable);
  } else {
    const stripe = window.Stripe(publishableKey);
    const options = { clientSecret, appearance: { theme: "stripe" } };
    if (customerSession) options.customerSessionClientSecret = customerSession;
    const elements = stripe.elements(options);
    const element = elements.create("payment");
    element.on("ready", () => { button.disabled = false; });
    element.mount("#payment-element");

    let paying = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // One confirmation at a time: a double click must not send a second one.
      if (paying) return;
      paying = true;
      button.disabled = true;
      button.textContent = form.dataset.pendingLabel;
      showMessage("");
      const { error } = await stripe.confirmPayment({ elements, confirmParams: { return_url: returnUrl } });
      // Only reached when there is an error: otherwise Stripe.js sends the buyer to the return
      // page (or to their bank's 3-D Secure page first). The same PaymentIntent takes another card.
      showMessage(error.message);
      button.textContent = payLabel;
      button.disabled = false;
      paying = false;
    });
  }
}
