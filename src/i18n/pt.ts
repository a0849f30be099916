import type { Strings } from './en.js';

export const pt: Strings = {
  title: 'Fale conosco',
  close: 'Fechar o chat',
  input: 'Mensagem',
  placeholder: 'Escreva uma mensagem…',
  send: 'Enviar',
  loadOlder: 'Carregar mensagens anteriores',
  typing: 'Alguém está digitando…',
  sending: 'Enviando…',
  failed: 'Não enviada.',
  retryMessage: 'Tentar de novo',
  you: 'Você',
  team: 'Suporte',
  edited: '(editada)',
  empty: 'Envie uma mensagem e responderemos aqui.',
  reconnecting: 'Reconectando…',
  fallback: 'Não conseguimos acessar o chat agora. Suas mensagens ficam guardadas e serão enviadas assim que ele voltar.',
  retry: 'Tentar novamente',
  // Connection states (connection helper)
  retrying: 'Tentando novamente…',
  retryFailed: 'Ainda sem conexão. Continuamos tentando em segundo plano.',
  contact: 'Fale conosco de outra forma',
  loading: 'Carregando a conversa…',
  refused: 'Não conseguimos confirmar quem você é, então o chat não pode abrir. Entre novamente ou recarregue a página.',
  menu: 'Opções da conversa',
  // Files (files-widget)
  attach: 'Anexar arquivos',
  // Accessibility
  log: 'Mensagens',
  // Messages that cannot go
  tooLong: 'Não enviada: longa demais.',
  editMessage: 'Editar',
  removeMessage: 'Remover',
  charsLeft: (n: number) => (n === 1 ? 'Resta 1 caractere' : `Restam ${n} caracteres`),
  charsOver: (n: number) => (n === 1 ? '1 caractere a mais' : `${n} caracteres a mais`),
  unread: (n: number) => (n === 1 ? '1 mensagem não lida' : `${n} mensagens não lidas`),
  // Notifications and the launcher's state
  open: 'Abrir o chat',
  newMessages: 'Novas mensagens',
  newMessage: 'Nova mensagem',
  dismiss: 'Dispensar',
  // Agents and availability
  typingName: (name: string) => `${name} está digitando…`,
  today: 'Hoje',
  yesterday: 'Ontem',
  availability: {
    online: 'Estamos online',
    away: 'Voltamos em instantes',
    offline: 'Ninguém está online agora',
    closed: 'Estamos fechados agora',
    unreachable: 'O serviço de chat está inacessível',
  },
  // When nobody is there (offline)
  queued: 'Guardada — responderemos aqui.',
  offlineNotice: 'O chat da equipe está inacessível agora. Você ainda pode escrever: suas mensagens ficam guardadas e responderemos aqui.',
};
