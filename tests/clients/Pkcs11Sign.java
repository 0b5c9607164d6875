// SPDX-License-Identifier: Apache-2.0
// Java client case of tests/clients/run.sh: SunPKCS11 (Debian OpenJDK) with the module named in
// the config file; the PIN from IAS_TEST_PIN. Signs with the private key of the given alias by
// SHA256withRSA and RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) and verifies both with the
// certificate's public key through the default (software) providers.
//   java Pkcs11Sign.java CONFIG ALIAS
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;

public class Pkcs11Sign {
    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, System.getenv("IAS_TEST_PIN").toCharArray());
        PrivateKey key = (PrivateKey) ks.getKey(args[1], null);
        X509Certificate cert = (X509Certificate) ks.getCertificate(args[1]);
        if (key == null || cert == null) throw new IllegalStateException("no key or certificate for " + args[1]);
        System.out.println("provider " + p.getName() + ", key " + key.getAlgorithm() + ", certificate " + cert.getSubjectX500Principal());
        byte[] data = "document signed through SunPKCS11".getBytes(StandardCharsets.UTF_8);

        check("SHA256withRSA", null, key, cert, data, p);
        // SunPKCS11 offers PSS only if the token lists the hash mechanism (CKM_SHA256).
        check("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), key, cert, data, p);
    }

    static void check(String alg, PSSParameterSpec spec, PrivateKey key, X509Certificate cert, byte[] data, Provider p)
            throws Exception {
        Signature s = Signature.getInstance(alg, p);
        if (spec != null) s.setParameter(spec);
        s.initSign(key);
        s.update(data);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg, "SunRsaSign");
        if (spec != null) v.setParameter(spec);
        v.initVerify(cert.getPublicKey());
        v.update(data);
        if (!v.verify(sig)) throw new IllegalStateException(alg + " signature does not verify");
        System.out.println(alg + " verified (" + sig.length + " bytes, signed by " + s.getProvider().getName() + ")");
    }
}
