/** The browser-safe part of the audit log: the chain's hash rule and its verification (no Node.js imports). */
export * from './chainRule';
export * from './verifyChain';
