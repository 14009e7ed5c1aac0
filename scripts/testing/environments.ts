/** The environment policy the tests use unless they test the policy: unprotected, no approvals, no expiry, no evidence gate. */
export const OPEN_POLICY = { protected: false, approvalsRequired: 0, rejectionBlocks: true, requestExpiryHours: null, minAgreementPct: null } as const;
