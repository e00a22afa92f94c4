// A real OpenID Connect provider for the single sign-on tests: the npm package oidc-provider
// with its development sign-in and consent pages (any password is accepted; the login name is
// the account). Usage: node oidc_provider.mjs CONFIG.json PACKAGE_DIR, where the file holds
// {"port", "issuer", "client": {client_id, client_secret, redirect_uris}, "accounts": {name:
// {claims}}} and PACKAGE_DIR is the installed oidc-provider (.venv/extra: ES modules do not
// read NODE_PATH). Prints "listening" once it accepts connections.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { default: Provider } = await import(
  pathToFileURL(join(process.argv[3], "lib", "index.js")).href
);

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));

const provider = new Provider(config.issuer, {
  clients: [
    {
      ...config.client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "given_name", "family_name", "preferred_username"],
  },
  cookies: { keys: ["tests-only-cookie-key"] },
  features: { devInteractions: { enabled: true } },
});

provider.listen(config.port, "127.0.0.1", () => {
  console.log("listening");
});
