import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { mapPersona, PersonaListDto } from './dto/persona.dto';
import { PersonasService } from './personas.service';

@ApiTags('personas')
@ApiBearerAuth()
@Controller('api/personas')
export class PersonasController {
  constructor(private readonly personas: PersonasService) {}

  @Get()
  @ApiOperation({
    summary: 'List the personas a session can use',
    description: 'The catalogue from PERSONAS_FILE, and the key used when a session is created without a persona.',
  })
  listPersonas(): PersonaListDto {
    return { personas: this.personas.list().map(mapPersona), default_persona: this.personas.defaultKey() };
  }
}
