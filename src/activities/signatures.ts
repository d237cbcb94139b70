import { verifySshSignature, type SignatureCheck } from '../providers/signatures/ssh-signature';
import { SIGNATURE_NAMESPACE } from '../policy/signed-statement';

/** Checks a signed decision against the signer's keys: cryptography, which workflow code cannot do itself. */
export function createSignatureActivities() {
  return {
    async verifyDecisionSignature(input: { statement: string; signature: string; keys: string[] }): Promise<SignatureCheck> {
      return verifySshSignature(input.statement, input.signature, SIGNATURE_NAMESPACE, input.keys);
    },
  };
}
