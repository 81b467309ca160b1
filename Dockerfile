# Production image: build with `docker build -t regauth .`, run with your config mounted:
#   docker run -p 5001:5001 -v /etc/regauth:/etc/regauth regauth serve --config /etc/regauth/config.yml
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY plugins ./plugins
USER node
EXPOSE 5001
ENTRYPOINT ["node", "bin/regauth.js"]
CMD ["serve", "--config", "/etc/regauth/config.yml"]
