// Progressive enhancement only: every page works without this script. The page shell has no
// inline script (Content-Security-Policy `script-src 'self'`), so the classes GOV.UK Frontend's
// template would set inline are set here instead.
import { initAll } from 'govuk-frontend';

const body = document.body;
body.classList.add('js-enabled');
// GOV.UK Frontend checks this class before it enhances any component.
if ('noModule' in HTMLScriptElement.prototype) {
  body.classList.add('govuk-frontend-supported');
}

initAll();
