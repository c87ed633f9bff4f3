/** A service's cell (issue 16 part 5): its name in the reader's language, the code on a second line and on hover. */
import type { ServiceFigures } from '../shared/api/metrics.ts';
import type { I18n } from './i18n.ts';

export function serviceCell(s: Pick<ServiceFigures, 'serviceCode' | 'serviceName'>, i18n: I18n): HTMLTableCellElement {
  const td = document.createElement('td');
  td.title = s.serviceCode;
  if (!s.serviceName) {
    td.textContent = s.serviceCode;
    return td;
  }
  const name = document.createElement('span');
  name.className = 'service-name';
  name.textContent = s.serviceName[i18n.lang];
  const code = document.createElement('small');
  code.className = 'code';
  code.textContent = s.serviceCode;
  td.append(name, code);
  return td;
}
