export * from './errors';
export * from './aesGcm';
export * from './keyWrap';
export * from './keys';
export * from './encryptionContext';
export * from './rsaAesKeyWrap';
export * from './randomIv';
