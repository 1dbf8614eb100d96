// Posts the identity provider's answer once more from the portal's own page, so that the session cookie goes with it.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("saml-continue");
  if (form) { form.submit(); }
});
