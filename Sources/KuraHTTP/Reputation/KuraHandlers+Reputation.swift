import Hummingbird
import KuraCore
import KuraCrypto
import KuraService

extension KuraHandlers {
    /// Answers a public reputation route (after ``PublicAccess``'s rate limits). The steps: query and path
    /// (400), then the route. No body is read and no credentials are asked for or checked.
    func respond(to endpoint: ReputationEndpoint, _ request: Request, context: KuraRequestContext)
        async throws(KuraError) -> Response
    {
        let read = PublicRead(
            parameters: context.parameters,
            query: try RequestInput.query(request.uri.query, allowed: endpoint.queryParameters))
        switch endpoint {
        case .reputation:
            let party = try party(read, "party")
            if let asOf = try read.queryNumber("asOf") {
                let report = try await service.reputation(of: party, asOf: asOf)
                return RawResponse.make(try report.canonicalBytes(), contentType: JSONResponse.mediaType)
            }
            return RawResponse.make(try await service.reputationBytes(of: party), contentType: JSONResponse.mediaType)
        case .reputationBatch:
            let reports = try await service.reputations(
                of: try Self.partyList(read.query["ids"]), asOf: try read.queryNumber("asOf"))
            return try JSONResponse.make(
                [
                    "checkpoint": try JSONValue(encodingOrThrow: reports[0].checkpoint),
                    "items": try JSONValue(encodingOrThrow: reports),
                ]
                    as JSONValue)
        case .attestation:
            // Attested at an issued checkpoint (of size asOf, else the newest): a public read never makes Kura
            // sign or store one, so the score may trail the log by up to one checkpoint interval.
            let party = try party(read, "party")
            let checkpoint: CheckpointRecord
            if let asOf = try read.queryNumber("asOf") {
                guard let issued = try await service.issuedCheckpoint(size: asOf) else {
                    throw KuraError(
                        .notFound, "no checkpoint of size \(asOf) has been issued; omit asOf for the newest")
                }
                checkpoint = issued
            } else {
                checkpoint = try await issuedCheckpoint(covering: 0)
            }
            return try JSONResponse.make(try await service.reputationAttestation(of: party, at: checkpoint))
        case .passport:
            return try JSONResponse.make(try await service.meishiPassport(try party(read, "id")))
        }
    }

    private func party(_ read: PublicRead, _ name: String) throws(KuraError) -> PartyID {
        guard let raw = read.parameters.get(name) else {
            throw KuraError(.internalError, "route has no parameter \(name)")
        }
        return try PartyID(validating: RequestInput.percentDecoded(raw[...], what: "path parameter '\(name)'"))
    }

    /// `ids=a,b,…`: 1 to 100 distinct party IDs.
    static func partyList(_ text: String?) throws(KuraError) -> [PartyID] {
        guard let text, !text.isEmpty else { throw KuraError(.invalidRequest, "query parameter 'ids' is required") }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count <= KuraService.maxReputationBatch else {
            throw KuraError(
                .invalidRequest, "ids names \(parts.count) parties; at most \(KuraService.maxReputationBatch)")
        }
        var seen: Set<PartyID> = []
        var ids: [PartyID] = []
        for part in parts {
            let id = try PartyID(validating: String(part))
            guard seen.insert(id).inserted else { throw KuraError(.invalidRequest, "ids names \(id) twice") }
            ids.append(id)
        }
        return ids
    }
}

extension JSONValue {
    /// `init(encoding:)` with Kura's error.
    init(encodingOrThrow value: some Encodable) throws(KuraError) {
        do { self = try JSONValue(encoding: value) } catch {
            throw KuraError(.internalError, "cannot encode the answer: \(error.reason)")
        }
    }
}
