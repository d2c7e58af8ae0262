// Drives npm's remove.bg client as an application would: one call, its result or its errors as JSON.
// usage: node removebg_client.js FUNCTION OPTIONS_JSON   (NODE_PATH must hold the installed package)
const removebg = require("remove.bg");

const [fn, optionsJson] = process.argv.slice(2);
removebg[fn](JSON.parse(optionsJson))
  .then((result) => console.log(JSON.stringify({ ok: true, result })))
  .catch((errors) => console.log(JSON.stringify({ ok: false, errors: errors === undefined ? null : errors })));
