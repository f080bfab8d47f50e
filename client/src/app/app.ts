import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatListModule } from '@angular/material/list';
import { MatToolbarModule } from '@angular/material/toolbar';
import { Api } from './api/api';
import { listPersonas } from './api/fn/personas/list-personas';
import { PersonaDto } from './api/models/persona-dto';

@Component({
  selector: 'nono-root',
  imports: [MatToolbarModule, MatListModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <mat-toolbar color="primary"><span>nono-chat</span></mat-toolbar>
    <mat-list>
      @for (persona of personas(); track persona.key) {
        <mat-list-item>
          <span matListItemTitle>{{ persona.name }}</span>
          <span matListItemLine>{{ persona.description }}</span>
        </mat-list-item>
      }
    </mat-list>
  `,
})
export class App {
  private readonly api = inject(Api);
  protected readonly personas = signal<PersonaDto[]>([]);

  constructor() {
    void this.api.invoke(listPersonas).then((list) => this.personas.set(list.personas));
  }
}
