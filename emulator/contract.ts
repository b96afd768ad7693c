// Where the emulator's answers knowingly differ in shape from the real answers in fixtures/rs-real/: the
// contract tests accept exactly these differences and no others. Keyed by fixture file, then by the path of
// the key ("endpoints[0].addr"), with the reason.
export const CONTRACT_EXCEPTIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // None so far: every key of every captured answer exists in the emulator's answer with the same JSON type.
};
