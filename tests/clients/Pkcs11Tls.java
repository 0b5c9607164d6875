// SPDX-License-Identifier: Apache-2.0
// Java TLS client case of tests/clients/run.sh: SunJSSE with the card's key through SunPKCS11
// (config file as for Pkcs11Sign.java, PIN from IAS_TEST_PIN). Connects to the local s_server
// with the given protocol (TLSv1.2 or TLSv1.3), authenticates with the key and certificate of
// ALIAS, sends "GET /" and prints the page the server sent back.
//   java Pkcs11Tls.java CONFIG ALIAS SERVER-CA.pem HOST PORT PROTOCOL
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

public class Pkcs11Tls {
    // Always the given alias (the card also holds a non-repudiation certificate).
    static final class OneAlias extends X509ExtendedKeyManager {
        private final X509KeyManager inner;
        private final String alias;
        OneAlias(X509KeyManager inner, String alias) { this.inner = inner; this.alias = alias; }
        public String[] getClientAliases(String type, Principal[] issuers) { return new String[] {alias}; }
        public String chooseClientAlias(String[] type, Principal[] issuers, Socket s) { return alias; }
        public String chooseEngineClientAlias(String[] type, Principal[] issuers, SSLEngine e) { return alias; }
        public String[] getServerAliases(String type, Principal[] issuers) { return null; }
        public String chooseServerAlias(String type, Principal[] issuers, Socket s) { return null; }
        public X509Certificate[] getCertificateChain(String a) { return inner.getCertificateChain(a); }
        public PrivateKey getPrivateKey(String a) { return inner.getPrivateKey(a); }
    }

    public static void main(String[] args) throws Exception {
        Provider p = Security.getProvider("SunPKCS11").configure(args[0]);
        Security.addProvider(p);
        char[] pin = System.getenv("IAS_TEST_PIN").toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS11", p);
        ks.load(null, pin);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
        kmf.init(ks, pin);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = new FileInputStream(args[2])) {
            trust.setCertificateEntry("server-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(new javax.net.ssl.KeyManager[] {new OneAlias((X509KeyManager) kmf.getKeyManagers()[0], args[1])},
                 tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(args[3], Integer.parseInt(args[4]))) {
            s.setEnabledProtocols(new String[] {args[5]});
            SSLParameters params = s.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(params);
            s.startHandshake();
            System.out.println("java: " + s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            ByteArrayOutputStream page = new ByteArrayOutputStream();
            s.getInputStream().transferTo(page);
            System.out.println(page.toString(StandardCharsets.UTF_8));
        }
    }
}
