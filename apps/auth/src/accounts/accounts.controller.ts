import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthResult } from '@chat/contracts';
import { LoginDto, RefreshTokenDto, RegisterDto } from '@chat/contracts/dto';
import { TokensService } from '../sessions/tokens.service';
import { AccountsService } from './accounts.service';

@ApiTags('auth')
@Controller('auth')
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly tokens: TokensService,
  ) {}

  @Post('register')
  @ApiOperation({ summary: 'Create an account and log in (the first account becomes admin)' })
  register(@Body() dto: RegisterDto, @Ip() ip: string): Promise<AuthResult> {
    return this.accounts.register(dto, ip);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with username and password' })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<AuthResult> {
    return this.accounts.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Trade a refresh token for a new pair (the old one is spent)' })
  refresh(@Body() dto: RefreshTokenDto): Promise<AuthResult> {
    return this.tokens.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End the login the refresh token belongs to' })
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.tokens.logout(dto.refreshToken);
  }
}
