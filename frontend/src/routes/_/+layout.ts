// PocketBase's dashboard lives at /_/; keep the slash so the address is exactly that.
export const trailingSlash = "always";
