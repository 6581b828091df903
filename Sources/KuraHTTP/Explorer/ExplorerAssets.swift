import HTTPTypes
import Hummingbird

/// The explorer page: one HTML file, one script, one style sheet, embedded in the binary at build time
/// (`Assets/`, SwiftPM's `embedInCode`), so a deployment copies one executable and nothing else.
///
/// The page reads only public routes and checks what it shows in the browser (WebCrypto Ed25519 and
/// SHA-256): it trusts the server for nothing it verifies. The content security policy allows scripts,
/// styles and requests from this origin only.
enum ExplorerAssets {
    static let securityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static func response(for endpoint: OperationsEndpoint) -> Response {
        let (bytes, type): ([UInt8], String) =
            switch endpoint {
            case .explorerScript: (PackageResources.explorer_js, "text/javascript; charset=utf-8")
            case .explorerStyle: (PackageResources.explorer_css, "text/css; charset=utf-8")
            default: (PackageResources.explorer_html, "text/html; charset=utf-8")
            }
        var response = RawResponse.make(bytes, contentType: type)
        response.headers[.contentSecurityPolicy] = securityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-cache"
        return response
    }
}
