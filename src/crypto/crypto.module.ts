import { Module } from '@nestjs/common';
import { TokenCipher } from './token-cipher.service';

@Module({
  providers: [TokenCipher],
  exports: [TokenCipher],
})
export class CryptoModule {}
