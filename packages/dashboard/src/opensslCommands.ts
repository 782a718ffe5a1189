/**
 * The `openssl` commands that wrap key material for a wrapping key, as the README gives them
 * (test/structure checks that the two stay the same), with the OAEP hash the wrapping key asks for.
 */
export function opensslCommands(oaepHash: 'sha256' | 'sha1'): string {
  return `HASH=${oaepHash}
# 256 bits of key material, generated on your premises
openssl rand -out key-material.bin 32
# a one-time 256-bit AES key, encrypted with RSA-OAEP (HASH, MGF1 with HASH) under the wrapping key
openssl rand -out ephemeral.bin 32
openssl pkeyutl -encrypt -pubin -inkey wrapping.pem -in ephemeral.bin -out ephemeral.wrapped \\
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:$HASH -pkeyopt rsa_mgf1_md:$HASH
# the key material wrapped with that AES key (RFC 5649 key wrap with padding)
openssl enc -id-aes256-wrap-pad -iv A65959A6 -K "$(od -An -tx1 -v ephemeral.bin | tr -d ' \\n')" \\
  -in key-material.bin -out key-material.wrapped
rm ephemeral.bin
# CKM_RSA_AES_KEY_WRAP = OAEP part ‖ key-wrap part; send it base64
cat ephemeral.wrapped key-material.wrapped | base64 | tr -d '\\n' > wrapped.b64
`;
}

/** An uploaded wrapped key: the base64 text the commands write, or the raw wrapped bytes. */
export function wrappedKeyFromFile(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes).trim();
  if (text.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text)) return text;
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
