export * from './deciderSpecification';
